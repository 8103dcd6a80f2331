package dev.botfleet.common.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 12 §1: the small CA behind mutual TLS. */
class CertificateAuthorityTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
  private final CertificateAuthority ca = CertificateAuthority.create("Botfleet CA", clock);

  @Test
  void a1_a_client_certificate_names_the_machine_and_chains_to_the_ca() throws Exception {
    KeyPair agent = CertificateAuthority.newKeyPair();
    var csr = Pem.parseCsr(Pem.csr(CertificateAuthority.newCsr(agent, "box-1")));
    X509Certificate cert =
        ca.issueClient(CertificateAuthority.verifiedKey(csr), "mach_1", Duration.ofDays(7));
    assertThat(CertificateAuthority.commonName(cert)).isEqualTo("mach_1");
    assertThat(cert.getPublicKey()).isEqualTo(agent.getPublic());
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(clock.instant().plus(Duration.ofDays(7)));
    // Slack for agents whose clock is behind, at most 5 minutes.
    assertThat(cert.getNotBefore().toInstant())
        .isEqualTo(clock.instant().minus(Duration.ofMinutes(5)));
  }

  @Test
  void a1_a_csr_signed_by_another_key_is_refused() {
    KeyPair holder = CertificateAuthority.newKeyPair();
    KeyPair thief = CertificateAuthority.newKeyPair();
    var forged =
        new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
            new org.bouncycastle.asn1.x500.X500Name("CN=x"), holder.getPublic());
    assertThatThrownBy(
            () ->
                CertificateAuthority.verifiedKey(
                    forged.build(
                        new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(
                                "SHA256withECDSA")
                            .build(thief.getPrivate()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("signature");
  }

  @Test
  void issue_12_the_pinning_trust_manager_accepts_only_the_pinned_ca_and_says_why()
      throws Exception {
    KeyPair server = CertificateAuthority.newKeyPair();
    X509Certificate leaf =
        ca.issueServer(server.getPublic(), List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
    X509Certificate[] chain = {leaf, ca.certificate()};
    Trust.pinned(ca.fingerprint()).checkServerTrusted(chain, "ECDHE_ECDSA");

    var other = CertificateAuthority.create("other", clock).fingerprint();
    var pinnedElsewhere = Trust.pinned(other);
    assertThatThrownBy(() -> pinnedElsewhere.checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
    assertThat(pinnedElsewhere.lastRefusal()).contains(other.toString());
  }

  @Test
  void fingerprints_read_the_forms_openssl_prints() {
    String hex = ca.fingerprint().hex();
    StringBuilder colons = new StringBuilder();
    for (int i = 0; i < hex.length(); i += 2) {
      colons.append(i == 0 ? "" : ":").append(hex, i, i + 2);
    }
    assertThat(Fingerprint.parse("SHA256:" + colons.toString().toUpperCase()))
        .isEqualTo(ca.fingerprint());
    assertThatThrownBy(() -> Fingerprint.parse("abc")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pem_round_trips_keys_and_chains() {
    KeyPair pair = CertificateAuthority.newKeyPair();
    assertThat(Pem.parsePrivateKey(Pem.privateKey(pair.getPrivate())).getEncoded())
        .isEqualTo(pair.getPrivate().getEncoded());
    assertThat(Pem.parseCertificates(Pem.certificates(List.of(ca.certificate(), ca.certificate()))))
        .hasSize(2);
    assertThatThrownBy(() -> Pem.parseCertificates("garbage"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
