package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.common.tls.Fingerprint;
import dev.botfleet.common.tls.Pem;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Issues the agents' client certificates (issue 12 §1, SPEC A1): short-lived, naming the machine
 * id, for a key that stays on the machine (the agent sends a CSR). Disabled when the orchestrator
 * serves plaintext: then machines authenticate by their credential alone.
 */
public final class MachineCertificates {
  /** A week: short enough that a stolen certificate soon dies, long enough to survive a weekend. */
  public static final Duration DEFAULT_LIFE = Duration.ofDays(7);

  /** CSRs are small (an EC key and a name); anything larger is not one of ours. */
  public static final int MAX_CSR_CHARS = 16_384;

  private final CertificateAuthority authority;
  private final Duration life;
  private final List<X509Certificate> serverAuthorities;

  private MachineCertificates(
      CertificateAuthority authority, Duration life, List<X509Certificate> serverAuthorities) {
    this.authority = authority;
    this.life = life;
    this.serverAuthorities = serverAuthorities;
  }

  /**
   * @param authority signs the client certificates
   * @param serverAuthorities what agents trust the orchestrator's server certificate by; the first
   *     one's fingerprint is what join tokens pin
   */
  public static MachineCertificates issuedBy(
      CertificateAuthority authority, Duration life, List<X509Certificate> serverAuthorities) {
    requireNonNull(authority, "authority");
    requireNonNull(life, "life");
    if (life.compareTo(Duration.ofSeconds(3)) < 0 || life.compareTo(Duration.ofDays(366)) > 0) {
      throw new IllegalArgumentException(
          "agent-cert-life: " + life + " (expected: between 3 seconds and 366 days)");
    }
    if (serverAuthorities.isEmpty()) {
      throw new IllegalArgumentException("serverAuthorities: empty");
    }
    return new MachineCertificates(authority, life, List.copyOf(serverAuthorities));
  }

  /** No TLS: no certificates are issued and none is required. */
  public static MachineCertificates disabled() {
    return new MachineCertificates(null, null, List.of());
  }

  public boolean enabled() {
    return authority != null;
  }

  /** What a join token pins: the fingerprint of the CA agents trust the orchestrator by. */
  public Optional<Fingerprint> pin() {
    return enabled() ? Optional.of(Fingerprint.of(serverAuthorities.get(0))) : Optional.empty();
  }

  /** PEM of the CAs agents trust the orchestrator by (EnrollResponse.ca_certificates). */
  public String serverAuthoritiesPem() {
    return enabled() ? Pem.certificates(serverAuthorities) : "";
  }

  public Duration life() {
    return life;
  }

  /** A certificate issued to a machine. */
  public record Issued(String pem, String serial, Instant expiresAt) {}

  /**
   * Signs {@code csrPem} for {@code machineId}.
   *
   * @throws BotfleetException INVALID_ARGUMENT {@code A1_CSR_INVALID} for a missing, malformed,
   *     forged or weak request
   */
  public Issued issue(String csrPem, String machineId) {
    if (!enabled()) {
      throw new IllegalStateException("certificates are disabled (plaintext orchestrator)");
    }
    if (csrPem == null || csrPem.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.A1_CSR_REQUIRED,
          "csr: missing (expected: a PEM certificate signing request; this orchestrator serves"
              + " mutual TLS)");
    }
    if (csrPem.length() > MAX_CSR_CHARS) {
      throw BotfleetException.invalid(
          ErrorReason.A1_CSR_INVALID,
          "csr: " + csrPem.length() + " characters (expected: at most " + MAX_CSR_CHARS + ")");
    }
    PublicKey key;
    try {
      key = CertificateAuthority.verifiedKey(Pem.parseCsr(csrPem));
    } catch (IllegalArgumentException e) {
      throw BotfleetException.invalid(ErrorReason.A1_CSR_INVALID, clip(e.getMessage()));
    }
    X509Certificate cert = authority.issueClient(key, machineId, life);
    return new Issued(
        Pem.certificate(cert), CertificateAuthority.serial(cert), cert.getNotAfter().toInstant());
  }

  private static String clip(String s) {
    return s == null ? "csr: invalid" : s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
