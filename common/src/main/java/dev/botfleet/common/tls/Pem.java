package dev.botfleet.common.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM text for certificates, PKCS#8 private keys and certificate signing requests: the formats
 * operators bring (OpenSSL, cert-manager) and Netty reads.
 */
public final class Pem {
  private Pem() {}

  public static String certificates(List<X509Certificate> chain) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (X509Certificate c : chain) {
        writer.writeObject(c);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  public static String certificate(X509Certificate certificate) {
    return certificates(List.of(certificate));
  }

  /** PKCS#8 ({@code BEGIN PRIVATE KEY}), the one key format Netty reads for every key type. */
  public static String privateKey(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new JcaPKCS8Generator(key, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  public static String csr(PKCS10CertificationRequest csr) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(csr);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Every certificate in {@code pem}, in order.
   *
   * @throws IllegalArgumentException when the text holds no certificate or a malformed one
   */
  public static List<X509Certificate> parseCertificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(requireNonNull(pem, "pem")))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          out.add(new JcaX509CertificateConverter().getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no certificate (expected: -----BEGIN CERTIFICATE-----)");
    }
    return out;
  }

  /**
   * The private key in {@code pem}: PKCS#8, or the traditional OpenSSL forms ({@code BEGIN EC/RSA
   * PRIVATE KEY}) operators often have.
   */
  public static PrivateKey parsePrivateKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(requireNonNull(pem, "pem")))) {
      Object o;
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      while ((o = parser.readObject()) != null) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a PEM private key: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "no private key (expected: -----BEGIN PRIVATE KEY----- without a password)");
  }

  /**
   * The certificate signing request in {@code pem}.
   *
   * @throws IllegalArgumentException when there is none
   */
  public static PKCS10CertificationRequest parseCsr(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(requireNonNull(pem, "pem")))) {
      Object o = parser.readObject();
      if (o instanceof PKCS10CertificationRequest csr) {
        return csr;
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a PEM certificate request: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "no certificate request (expected: -----BEGIN CERTIFICATE REQUEST-----)");
  }

  public static List<X509Certificate> readCertificates(Path file) {
    return parseCertificates(read(file));
  }

  public static PrivateKey readPrivateKey(Path file) {
    return parsePrivateKey(read(file));
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
