package dev.botfleet.common.tls;

import static java.util.Objects.requireNonNull;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/** Trust and key managers for the TLS between agents, CLI and orchestrator (issue 12 §1). */
public final class Trust {
  private Trust() {}

  /** Trusts exactly the chains that end in one of {@code authorities} (the JDK's PKIX checks). */
  public static X509ExtendedTrustManager anchoredAt(List<X509Certificate> authorities) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (X509Certificate ca : authorities) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory f =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException(
          "no X509 trust manager in " + Arrays.toString(f.getTrustManagers()));
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a trust manager", e);
    }
  }

  /**
   * Trusts a server only if the chain it presents contains the CA with {@code pin} and verifies
   * against that CA, host name included (the kubeadm join pattern): a new agent holds nothing but
   * its join token, so the token's fingerprint is what it trusts. {@link #pinned} records that CA
   * so the agent can keep it after enrolment.
   */
  public static PinnedTrustManager pinned(Fingerprint pin) {
    return new PinnedTrustManager(pin);
  }

  /** See {@link #pinned}. */
  public static final class PinnedTrustManager extends X509ExtendedTrustManager {
    private final Fingerprint pin;
    private final AtomicReference<X509Certificate> seen = new AtomicReference<>();
    private final AtomicReference<String> refusal = new AtomicReference<>();

    PinnedTrustManager(Fingerprint pin) {
      this.pin = requireNonNull(pin, "pin");
    }

    /** The pinned CA as the server presented it, once a handshake succeeded. */
    public X509Certificate authority() {
      return seen.get();
    }

    /**
     * Why the last handshake was refused, or null: TLS stacks (OpenSSL's above all) report a
     * refusal as a "general problem" without our words, so callers add these.
     */
    public String lastRefusal() {
      return refusal.get();
    }

    private X509ExtendedTrustManager delegate(X509Certificate[] chain) throws CertificateException {
      var ca = pin.find(Arrays.asList(chain));
      if (ca.isEmpty()) {
        throw new CertificateException(
            "the server's certificate chain has no CA with fingerprint "
                + pin
                + " (the one in the join token): this is not that orchestrator, or it serves a"
                + " chain without its CA");
      }
      seen.set(ca.get());
      return anchoredAt(List.of(ca.get()));
    }

    private void check(Check c) throws CertificateException {
      try {
        c.run();
      } catch (CertificateException e) {
        refusal.set(e.getMessage());
        throw e;
      }
    }

    private interface Check {
      void run() throws CertificateException;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      check(() -> delegate(chain).checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(() -> delegate(chain).checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      check(() -> delegate(chain).checkServerTrusted(chain, authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a pinning trust manager checks servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a pinning trust manager checks servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a pinning trust manager checks servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** A key manager presenting {@code key} with {@code chain}. */
  public static X509ExtendedKeyManager keyManager(PrivateKey key, List<X509Certificate> chain) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry("key", key, password, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      f.init(store, password);
      for (var km : f.getKeyManagers()) {
        if (km instanceof X509ExtendedKeyManager x) {
          return x;
        }
      }
      throw new IllegalStateException("no X509 key manager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a key manager", e);
    }
  }
}
