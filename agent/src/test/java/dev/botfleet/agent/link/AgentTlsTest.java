package dev.botfleet.agent.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.common.tls.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 §1, the agent's half: private key files, renewal timing, an expired certificate. */
class AgentTlsTest {
  @TempDir Path dataDir;

  private X509Certificate issue(KeyPair pair, Instant at, Duration life) {
    CertificateAuthority ca =
        CertificateAuthority.create("test CA", Clock.fixed(at, ZoneOffset.UTC));
    return ca.issueClient(pair.getPublic(), "mach_1", life);
  }

  @Test
  void a1_renewal_is_due_at_two_thirds_of_the_life() {
    KeyPair pair = CertificateAuthority.newKeyPair();
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    X509Certificate c = issue(pair, t0, Duration.ofDays(3));
    // notBefore is 5 minutes early (clock slack): two thirds of 3 days + 5 min from there.
    Instant due =
        c.getNotBefore()
            .toInstant()
            .plus(Duration.ofMinutes(5 + 3 * 24 * 60).multipliedBy(2).dividedBy(3));
    assertThat(AgentTls.renewalDue(c, due.minusSeconds(1))).isFalse();
    assertThat(AgentTls.renewalDue(c, due.plusSeconds(1))).isTrue();
  }

  @Test
  void a1_the_key_never_leaves_the_data_dir_and_is_owner_only() throws Exception {
    KeyPair pair = CertificateAuthority.newKeyPair();
    X509Certificate c = issue(pair, Instant.now(), Duration.ofDays(1));
    AgentTls.save(dataDir, "mach_1", pair.getPrivate(), Pem.certificate(c), Pem.certificate(c));
    Path key = dataDir.resolve("tls").resolve("client.pem");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(key)).contains("BEGIN PRIVATE KEY").contains("BEGIN CERTIFICATE");
    assertThat(AgentTls.load(dataDir, "mach_1")).isPresent();
  }

  @Test
  void a1_a_renewal_is_asked_for_once_with_one_key_and_again_only_after_a_silence()
      throws Exception {
    KeyPair pair = CertificateAuthority.newKeyPair();
    Instant t0 = Instant.now();
    X509Certificate c = issue(pair, t0, Duration.ofHours(3));
    AgentTls tls =
        AgentTls.save(dataDir, "mach_1", pair.getPrivate(), Pem.certificate(c), Pem.certificate(c));
    Instant due = t0.plus(Duration.ofHours(2)).plusSeconds(1);
    String first = tls.renewalCsr(due).orElseThrow();
    assertThat(tls.renewalCsr(due.plusSeconds(5))).isEmpty();
    String again = tls.renewalCsr(due.plus(AgentTls.RESEND_AFTER).plusSeconds(1)).orElseThrow();
    assertThat(CertificateAuthority.verifiedKey(Pem.parseCsr(again)))
        .isEqualTo(CertificateAuthority.verifiedKey(Pem.parseCsr(first)));
  }

  @Test
  void a1_an_agent_whose_certificate_expired_stops_with_the_reason_instead_of_retrying()
      throws Exception {
    KeyPair pair = CertificateAuthority.newKeyPair();
    X509Certificate expired =
        issue(pair, Instant.now().minus(Duration.ofDays(2)), Duration.ofDays(1));
    AgentTls.save(
        dataDir, "mach_1", pair.getPrivate(), Pem.certificate(expired), Pem.certificate(expired));
    new MachineCredential("mach_1", "bfm_secret", "127.0.0.1:1", "prod", "m1").save(dataDir);
    LocalAgent agent =
        LocalAgent.builder()
            .server("127.0.0.1:1")
            .dataDir(dataDir)
            .flowsDir(Files.createDirectories(dataDir.resolve("flows")))
            .maxSessions(1)
            .start();
    try {
      var failure =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              () -> agent.link().terminated().get(20, TimeUnit.SECONDS), ExecutionException.class);
      assertThat(failure.getCause())
          .isInstanceOfSatisfying(
              BotfleetException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(ErrorReason.A1_CERTIFICATE_EXPIRED);
                assertThat(e.getMessage()).contains("expired at").contains("enrol again");
              });
    } finally {
      agent.close();
    }
  }

  @Test
  void issue_12_a_rotation_asks_at_once_for_a_certificate_for_a_new_key() throws Exception {
    KeyPair pair = CertificateAuthority.newKeyPair();
    Instant t0 = Instant.now();
    X509Certificate c = issue(pair, t0, Duration.ofDays(7));
    AgentTls tls =
        AgentTls.save(dataDir, "mach_1", pair.getPrivate(), Pem.certificate(c), Pem.certificate(c));
    assertThat(tls.renewalCsr(t0.plusSeconds(60))).isEmpty();
    tls.rotate();
    String csr = tls.renewalCsr(t0.plusSeconds(61)).orElseThrow();
    assertThat(CertificateAuthority.verifiedKey(Pem.parseCsr(csr))).isNotEqualTo(pair.getPublic());
  }
}
