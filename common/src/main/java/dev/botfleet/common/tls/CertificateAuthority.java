package dev.botfleet.common.tls;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A small certificate authority (issue 12 §1): the orchestrator's own unless an operator brings
 * one. It signs the orchestrator's server certificate and the agents' short-lived client
 * certificates. Keys are EC P-256 (fast to make on a 2-core box, accepted by every TLS stack);
 * signing goes through the JDK's providers, so Bouncy Castle is never registered as a provider.
 */
public final class CertificateAuthority {
  /** Ten years: rotating the CA means re-enrolling the fleet, so it is rare (docs/security.md). */
  public static final Duration CA_LIFE = Duration.ofDays(3650);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;

  public CertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock) {
    this.certificate = requireNonNull(certificate, "certificate");
    this.key = requireNonNull(key, "key");
    this.clock = requireNonNull(clock, "clock");
  }

  /** A new self-signed CA named {@code commonName}. */
  public static CertificateAuthority create(String commonName, Clock clock) {
    KeyPair pair = newKeyPair();
    Instant now = clock.instant();
    X500Name name = name(commonName);
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              newSerial(),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(CA_LIFE)),
              name,
              pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate cert = sign(b, pair.getPrivate());
      return new CertificateAuthority(cert, pair.getPrivate(), clock);
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create a CA", e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey key() {
    return key;
  }

  public Fingerprint fingerprint() {
    return Fingerprint.of(certificate);
  }

  /**
   * A server certificate for {@code names} (DNS names and IP literals, the first one also the
   * common name), valid for {@code life}.
   */
  public X509Certificate issueServer(PublicKey subjectKey, List<String> names, Duration life) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("names: empty (expected: at least one DNS name or IP)");
    }
    List<GeneralName> alt = new ArrayList<>();
    for (String n : names) {
      alt.add(
          IP_LITERAL.matcher(n).matches()
              ? new GeneralName(GeneralName.iPAddress, n)
              : new GeneralName(GeneralName.dNSName, n));
    }
    return issue(
        subjectKey,
        name(names.get(0)),
        life,
        KeyPurposeId.id_kp_serverAuth,
        new GeneralNames(alt.toArray(GeneralName[]::new)));
  }

  /** A client certificate whose common name is {@code commonName} (a machine id). */
  public X509Certificate issueClient(PublicKey subjectKey, String commonName, Duration life) {
    return issue(subjectKey, name(commonName), life, KeyPurposeId.id_kp_clientAuth, null);
  }

  private X509Certificate issue(
      PublicKey subjectKey,
      X500Name subject,
      Duration life,
      KeyPurposeId purpose,
      GeneralNames altNames) {
    requireNonNull(subjectKey, "subjectKey");
    if (life.isNegative() || life.isZero()) {
      throw new IllegalArgumentException("life: " + life + " (expected: > 0)");
    }
    Instant now = clock.instant();
    // Some slack for agents whose clock runs behind, but never more than a twelfth of a short life
    // (tests use lives of seconds).
    Duration skew =
        life.dividedBy(12).compareTo(Duration.ofMinutes(5)) < 0
            ? life.dividedBy(12)
            : Duration.ofMinutes(5);
    Instant notAfter = now.plus(life);
    Instant caEnd = certificate.getNotAfter().toInstant();
    if (notAfter.isAfter(caEnd)) {
      notAfter = caEnd; // a certificate never outlives its issuer
    }
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              certificate,
              newSerial(),
              Date.from(now.minus(skew)),
              Date.from(notAfter),
              subject,
              subjectKey);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      b.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          ext.createAuthorityKeyIdentifier(certificate.getPublicKey()));
      if (altNames != null) {
        b.addExtension(Extension.subjectAlternativeName, false, altNames);
      }
      return sign(b, key);
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue a certificate for " + subject, e);
    }
  }

  /**
   * The public key of {@code csr} once its signature proves the requester holds the private key.
   *
   * @throws IllegalArgumentException for a forged or weak request
   */
  public static PublicKey verifiedKey(PKCS10CertificationRequest csr) {
    try {
      JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr);
      PublicKey key = jca.getPublicKey();
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new IllegalArgumentException("csr: the signature does not match its key");
      }
      if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < 2048) {
        throw new IllegalArgumentException(
            "csr: RSA key of " + rsa.getModulus().bitLength() + " bits (expected: >= 2048 or EC)");
      }
      if (!(key instanceof RSAPublicKey) && !"EC".equals(key.getAlgorithm())) {
        throw new IllegalArgumentException(
            "csr: " + key.getAlgorithm() + " key (expected: EC or RSA)");
      }
      return key;
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw new IllegalArgumentException("csr: cannot verify (" + e.getMessage() + ")", e);
    }
  }

  /** A new EC P-256 key pair. */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is required by every Java platform", e);
    }
  }

  /** A certificate signing request for {@code pair}, signed by its private key. */
  public static PKCS10CertificationRequest newCsr(KeyPair pair, String commonName) {
    try {
      ContentSigner signer =
          new JcaContentSignerBuilder(algorithm(pair.getPrivate())).build(pair.getPrivate());
      return new JcaPKCS10CertificationRequestBuilder(name(commonName), pair.getPublic())
          .build(signer);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a certificate request", e);
    }
  }

  /** The serial number as the orchestrator stores it: lower-case hex. */
  public static String serial(X509Certificate certificate) {
    return certificate.getSerialNumber().toString(16);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signingKey)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(algorithm(signingKey)).build(signingKey);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static String algorithm(PrivateKey key) {
    return switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default ->
          throw new IllegalArgumentException(
              "key: " + key.getAlgorithm() + " (expected: an EC or RSA key)");
    };
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Botfleet")
        .addRDN(BCStyle.CN, requireNonNull(commonName, "commonName"))
        .build();
  }

  /** The common name of {@code certificate}'s subject. */
  public static String commonName(X509Certificate certificate) {
    X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    var rdns = subject.getRDNs(BCStyle.CN);
    if (rdns.length == 0) {
      return "";
    }
    return rdns[0].getFirst().getValue().toString();
  }

  private static BigInteger newSerial() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    b[0] &= 0x7f; // positive, at most 127 bits (RFC 5280: at most 20 octets)
    if (b[0] == 0) {
      b[0] = 1;
    }
    return new BigInteger(HexFormat.of().formatHex(b), 16);
  }
}
