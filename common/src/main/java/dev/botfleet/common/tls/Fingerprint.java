package dev.botfleet.common.tls;

import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The SHA-256 of a certificate's DER encoding, as 64 lower-case hex digits: what a join token
 * carries to pin the orchestrator's CA (kubeadm's {@code --discovery-token-ca-cert-hash} pattern)
 * and what {@code openssl x509 -noout -fingerprint -sha256} prints (without the colons).
 */
public record Fingerprint(String hex) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  public Fingerprint {
    requireNonNull(hex, "hex");
    if (!HEX64.matcher(hex).matches()) {
      throw new IllegalArgumentException(
          "fingerprint: " + clip(hex) + " (expected: 64 hex digits of a SHA-256)");
    }
  }

  /** Reads 64 hex digits, with or without {@code sha256:} and colons, in any case. */
  public static Fingerprint parse(String text) {
    String t = requireNonNull(text, "text").strip().toLowerCase(Locale.ROOT);
    if (t.startsWith("sha256:")) {
      t = t.substring(7);
    }
    return new Fingerprint(t.replace(":", ""));
  }

  public static Fingerprint of(X509Certificate certificate) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return new Fingerprint(HexFormat.of().formatHex(digest.digest(certificate.getEncoded())));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException(
          "cannot fingerprint " + certificate.getSubjectX500Principal(), e);
    }
  }

  /** The certificate of {@code chain} with this fingerprint. */
  public Optional<X509Certificate> find(List<X509Certificate> chain) {
    return chain.stream().filter(c -> of(c).equals(this)).findFirst();
  }

  @Override
  public String toString() {
    return "sha256:" + hex;
  }

  private static String clip(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
