package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.PrivateFiles;
import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.common.tls.Fingerprint;
import dev.botfleet.common.tls.Pem;
import dev.botfleet.common.tls.ReloadingKeyManager;
import dev.botfleet.common.tls.Trust;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's half of mutual TLS (issue 12 §1), kept in {@code <data-dir>/tls}: {@code client.pem}
 * ({@code rw-------}: the private key, made here and never sent anywhere, followed by the
 * certificate the orchestrator's CA issued for it, naming the machine id; one file, so a renewal
 * replaces key and certificate in one atomic move) and {@code ca.pem} (what the agent trusts the
 * orchestrator by: the CA the join token pinned).
 *
 * <p>The certificate is renewed over the stream at two thirds of its life ({@link #renewalCsr},
 * {@link #renewed}); the next handshake presents the new one through a {@link ReloadingKeyManager},
 * so the channel lives on.
 */
public final class AgentTls implements AgentLink.CertificateRenewal {
  private static final Logger log = LoggerFactory.getLogger(AgentTls.class);

  static final String DIR = "tls";
  static final String CLIENT = "client.pem";

  /** An unanswered renewal request is sent again after this long (a new stream, a lost reply). */
  static final Duration RESEND_AFTER = Duration.ofMinutes(1);

  private final Path dir;
  private final List<X509Certificate> authorities;
  private final ReloadingKeyManager keyManager;
  private final String machineId;
  private KeyPair pending;
  private Instant pendingSentAt;
  private boolean rotating;

  private AgentTls(
      Path dir, List<X509Certificate> authorities, ReloadingKeyManager keyManager, String id) {
    this.dir = dir;
    this.authorities = authorities;
    this.keyManager = keyManager;
    this.machineId = id;
  }

  /** The TLS files of an enrolled agent, or empty when there are none (a plaintext enrolment). */
  public static Optional<AgentTls> load(Path dataDir, String machineId) {
    Path dir = dataDir.resolve(DIR);
    Path client = dir.resolve(CLIENT);
    Path ca = dir.resolve("ca.pem");
    if (!Files.exists(client) || !Files.exists(ca)) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new AgentTls(
              dir,
              Pem.readCertificates(ca),
              new ReloadingKeyManager(Pem.readPrivateKey(client), Pem.readCertificates(client)),
              machineId));
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw BotfleetException.precondition(
          ErrorReason.A1_CREDENTIAL_FILE_INVALID,
          dir
              + " cannot be read ("
              + e.getMessage()
              + "); delete the data directory and enrol again with a new join token");
    }
  }

  /** Writes what enrolment produced; the caller writes machine.properties after this. */
  static AgentTls save(
      Path dataDir, String machineId, PrivateKey key, String certificatePem, String caPem) {
    Path dir = dataDir.resolve(DIR);
    List<X509Certificate> chain = Pem.parseCertificates(certificatePem);
    List<X509Certificate> cas = Pem.parseCertificates(caPem);
    try {
      PrivateFiles.createDirectories(dataDir);
      PrivateFiles.createDirectories(dir);
      PrivateFiles.write(dir.resolve("ca.pem"), caPem);
      PrivateFiles.write(dir.resolve(CLIENT), Pem.privateKey(key) + certificatePem);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir, e);
    }
    return new AgentTls(dir, cas, new ReloadingKeyManager(key, chain), machineId);
  }

  /**
   * A channel's credentials to enrol with: trust only a server whose chain holds the CA {@code pin}
   * names (from the join token), or, with {@code caFile}, that CA. No client certificate yet.
   */
  static ChannelCredentials enrolment(Trust.PinnedTrustManager pinned, Path caFile) {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    if (caFile != null) {
      b.trustManager(Trust.anchoredAt(Pem.readCertificates(caFile)));
    } else {
      b.trustManager(requireNonNull(pinned, "pinned"));
    }
    return b.build();
  }

  /** The stream's credentials: trust the stored CA, present the machine's certificate. */
  public ChannelCredentials credentials() {
    return TlsChannelCredentials.newBuilder()
        .trustManager(Trust.anchoredAt(authorities))
        .keyManager(keyManager)
        .build();
  }

  public X509Certificate certificate() {
    return keyManager.certificate();
  }

  /** Two thirds into the certificate's life, the agent asks for the next one. */
  static boolean renewalDue(X509Certificate c, Instant now) {
    Instant from = c.getNotBefore().toInstant();
    Instant to = c.getNotAfter().toInstant();
    Duration life = Duration.between(from, to);
    return !now.isBefore(from.plus(life.multipliedBy(2).dividedBy(3)));
  }

  @Override
  public Optional<String> unusable(Instant now) {
    X509Certificate c = certificate();
    if (now.isBefore(c.getNotAfter().toInstant())) {
      return Optional.empty();
    }
    return Optional.of(
        "the client certificate of machine "
            + machineId
            + " expired at "
            + c.getNotAfter().toInstant()
            + " (the agent was away longer than its life and could not renew it): delete "
            + dir.getParent()
            + " and enrol again with a new join token");
  }

  @Override
  public synchronized Optional<String> renewalCsr(Instant now) {
    X509Certificate c = certificate();
    if (!now.isBefore(c.getNotAfter().toInstant())) {
      return Optional.empty();
    }
    if (!rotating && !renewalDue(c, now)) {
      return Optional.empty();
    }
    // One key per renewal, asked for once, and again only when no answer came for a while: each
    // request the orchestrator answers retires the certificate before the one in use.
    if (pending == null) {
      pending = CertificateAuthority.newKeyPair();
    } else if (pendingSentAt != null && now.isBefore(pendingSentAt.plus(RESEND_AFTER))) {
      return Optional.empty();
    }
    pendingSentAt = now;
    return Optional.of(Pem.csr(CertificateAuthority.newCsr(pending, machineId)));
  }

  @Override
  public synchronized void rotate() {
    // A fresh key, asked for at once: the one of an earlier unanswered request may be the reason
    // for the rotation.
    rotating = true;
    pending = CertificateAuthority.newKeyPair();
    pendingSentAt = null;
    log.info("event=certificate_rotation_requested machine={}", machineId);
  }

  @Override
  public synchronized void renewed(String certificatePem) {
    List<X509Certificate> chain = Pem.parseCertificates(certificatePem);
    if (pending == null || !chain.get(0).getPublicKey().equals(pending.getPublic())) {
      log.warn("event=certificate_ignored machine={} reason=not_for_our_key", machineId);
      return;
    }
    try {
      // Key and certificate in one atomic move: a crash leaves the old pair or the new one, and
      // the old certificate stays valid until the new one is presented.
      PrivateFiles.write(
          dir.resolve(CLIENT), Pem.privateKey(pending.getPrivate()) + certificatePem);
    } catch (IOException e) {
      log.error("event=certificate_save_failed machine={} error=\"{}\"", machineId, e.toString());
      return;
    }
    keyManager.update(pending.getPrivate(), chain);
    pending = null;
    pendingSentAt = null;
    rotating = false;
    log.info(
        "event=certificate_renewed machine={} serial={} expires={}",
        machineId,
        CertificateAuthority.serial(chain.get(0)),
        chain.get(0).getNotAfter().toInstant());
  }

  /** The pin a join token carries after its last '.', if any. */
  static Optional<Fingerprint> pinOf(String joinToken) {
    if (joinToken == null) {
      return Optional.empty();
    }
    int dot = joinToken.lastIndexOf('.');
    if (dot < 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(Fingerprint.parse(joinToken.substring(dot + 1)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
