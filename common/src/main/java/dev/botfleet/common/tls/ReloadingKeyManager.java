package dev.botfleet.common.tls;

import static java.util.Objects.requireNonNull;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A client key manager whose key and certificate can be swapped while the channel lives: an agent
 * renews its certificate over its stream (issue 12 §1) and the next handshake presents the new one,
 * without rebuilding the channel.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "botfleet-client";

  private record Material(PrivateKey key, X509Certificate[] chain) {}

  private final AtomicReference<Material> current = new AtomicReference<>();

  public ReloadingKeyManager(PrivateKey key, List<X509Certificate> chain) {
    update(key, chain);
  }

  public void update(PrivateKey key, List<X509Certificate> chain) {
    requireNonNull(key, "key");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("chain: empty (expected: the client certificate first)");
    }
    current.set(new Material(key, chain.toArray(X509Certificate[]::new)));
  }

  /** The certificate presented now. */
  public X509Certificate certificate() {
    return current.get().chain()[0];
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? current.get().chain().clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? current.get().key() : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
