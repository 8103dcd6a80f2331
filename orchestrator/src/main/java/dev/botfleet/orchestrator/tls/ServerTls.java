package dev.botfleet.orchestrator.tls;

import dev.botfleet.common.PrivateFiles;
import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.common.tls.Fingerprint;
import dev.botfleet.common.tls.Pem;
import dev.botfleet.common.tls.Trust;
import dev.botfleet.orchestrator.OrchestratorConfig;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's TLS material (issue 12 §1), kept in {@code <data-dir>/tls} (or {@code
 * --tls-dir}, shared by replicas):
 *
 * <ul>
 *   <li>{@code ca.pem}, {@code ca.key}: Botfleet's CA, made on first start; it signs the agents'
 *       client certificates and, unless the operator brings one, the server certificate;
 *   <li>{@code server.pem} (chain: server, CA), {@code server.key}: our own server certificate for
 *       localhost, this host and {@code --tls-name}s, made again when the names change, the CA
 *       changes or it has less than 30 days left.
 * </ul>
 *
 * Keys are written {@code rw-------}. An operator's certificate ({@code --tls-cert}, {@code
 * --tls-key}, {@code --tls-ca}) replaces only the server side: agents' certificates still come from
 * Botfleet's CA, which no outside party needs.
 */
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
  static final Duration SERVER_LIFE = Duration.ofDays(397);
  static final Duration RENEW_BEFORE = Duration.ofDays(30);

  private final CertificateAuthority authority;
  private final List<X509Certificate> serverChain;
  private final PrivateKey serverKey;
  private final List<X509Certificate> serverAuthorities;
  private final Path dir;

  private ServerTls(
      CertificateAuthority authority,
      List<X509Certificate> serverChain,
      PrivateKey serverKey,
      List<X509Certificate> serverAuthorities,
      Path dir) {
    this.authority = authority;
    this.serverChain = serverChain;
    this.serverKey = serverKey;
    this.serverAuthorities = serverAuthorities;
    this.dir = dir;
  }

  /** The TLS directory of a config: {@code --tls-dir}, else {@code <data-dir>/tls}. */
  public static Path dir(OrchestratorConfig config) {
    return config.tls().dir() != null ? config.tls().dir() : config.dataDir().resolve("tls");
  }

  /** What clients trust the server by ({@link #clientCaFile}), for a server's data dir. */
  public static Path trustFileIn(Path dataDir) {
    return dataDir.resolve("tls").resolve(TRUST_FILE);
  }

  static final String TRUST_FILE = "trust.pem";

  /**
   * Loads the TLS material of {@code config}, creating what is missing. Two replicas sharing a TLS
   * directory and starting together take turns (file lock), so they end up with one CA.
   */
  public static ServerTls loadOrCreate(OrchestratorConfig config, Clock clock) {
    ServerTls tls = load(config, clock);
    try {
      String trust = Pem.certificates(tls.serverAuthorities);
      Path file = tls.clientCaFile();
      if (!Files.exists(file) || !Files.readString(file, StandardCharsets.US_ASCII).equals(trust)) {
        PrivateFiles.writeReadable(file, trust);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("tls: cannot write " + tls.clientCaFile(), e);
    }
    return tls;
  }

  private static ServerTls load(OrchestratorConfig config, Clock clock) {
    OrchestratorConfig.Tls t = config.tls();
    Path dir = dir(config);
    try {
      PrivateFiles.createDirectories(dir);
      try (FileChannel lockFile =
              FileChannel.open(
                  dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = lockFile.lock()) {
        CertificateAuthority ca = loadOrCreateCa(dir, clock);
        if (t.certFile() != null) {
          List<X509Certificate> chain = new ArrayList<>(Pem.readCertificates(t.certFile()));
          PrivateKey key = Pem.readPrivateKey(t.keyFile());
          List<X509Certificate> authorities =
              t.caFile() != null
                  ? Pem.readCertificates(t.caFile())
                  : List.of(chain.get(chain.size() - 1));
          // Agents pin the CA by fingerprint, so it must be in the chain the server presents.
          for (X509Certificate a : authorities) {
            if (Fingerprint.of(a).find(chain).isEmpty()) {
              chain.add(a);
            }
          }
          log.info(
              "event=tls_server_certificate source=operator file={} subject=\"{}\" expires={}",
              t.certFile(),
              chain.get(0).getSubjectX500Principal(),
              chain.get(0).getNotAfter().toInstant());
          return new ServerTls(ca, List.copyOf(chain), key, List.copyOf(authorities), dir);
        }
        List<String> names = serverNames(t.names());
        Path certFile = dir.resolve("server.pem");
        Path keyFile = dir.resolve("server.key");
        if (Files.exists(certFile) && Files.exists(keyFile)) {
          List<X509Certificate> chain = Pem.readCertificates(certFile);
          if (stillGood(chain, ca, names, clock.instant())) {
            return new ServerTls(
                ca, chain, Pem.readPrivateKey(keyFile), List.of(ca.certificate()), dir);
          }
        }
        KeyPair pair = CertificateAuthority.newKeyPair();
        X509Certificate leaf = ca.issueServer(pair.getPublic(), names, SERVER_LIFE);
        List<X509Certificate> chain = List.of(leaf, ca.certificate());
        PrivateFiles.write(keyFile, Pem.privateKey(pair.getPrivate()));
        PrivateFiles.writeReadable(certFile, Pem.certificates(chain));
        log.info(
            "event=tls_server_certificate source=own_ca names={} expires={}",
            names,
            leaf.getNotAfter().toInstant());
        return new ServerTls(ca, chain, pair.getPrivate(), List.of(ca.certificate()), dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("tls: cannot prepare " + dir, e);
    }
  }

  private static CertificateAuthority loadOrCreateCa(Path dir, Clock clock) throws IOException {
    Path certFile = dir.resolve("ca.pem");
    Path keyFile = dir.resolve("ca.key");
    if (Files.exists(certFile) && Files.exists(keyFile)) {
      return new CertificateAuthority(
          Pem.readCertificates(certFile).get(0), Pem.readPrivateKey(keyFile), clock);
    }
    if (Files.exists(certFile) != Files.exists(keyFile)) {
      throw new IllegalStateException(
          "tls: "
              + dir
              + " has "
              + (Files.exists(certFile) ? "ca.pem but no ca.key" : "ca.key but no ca.pem")
              + " (expected: both, or neither to make a new CA, which means enrolling every agent"
              + " again)");
    }
    CertificateAuthority ca = CertificateAuthority.create("Botfleet CA", clock);
    PrivateFiles.write(keyFile, Pem.privateKey(ca.key()));
    PrivateFiles.writeReadable(certFile, Pem.certificate(ca.certificate()));
    log.info(
        "event=tls_ca_created file={} fingerprint={} expires={}",
        certFile,
        ca.fingerprint(),
        ca.certificate().getNotAfter().toInstant());
    return ca;
  }

  private static boolean stillGood(
      List<X509Certificate> chain, CertificateAuthority ca, List<String> names, Instant now) {
    X509Certificate leaf = chain.get(0);
    if (leaf.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))) {
      return false;
    }
    try {
      leaf.verify(ca.certificate().getPublicKey());
    } catch (Exception e) {
      return false; // signed by a CA we no longer have
    }
    return Set.copyOf(subjectAltNames(leaf)).equals(Set.copyOf(names));
  }

  static List<String> subjectAltNames(X509Certificate c) {
    List<String> out = new ArrayList<>();
    try {
      if (c.getSubjectAlternativeNames() != null) {
        for (List<?> entry : c.getSubjectAlternativeNames()) {
          String value = String.valueOf(entry.get(1));
          // The JDK prints IPv6 in full form; compare through InetAddress.
          if (((Integer) entry.get(0)) == 7) {
            value = InetAddress.getByName(value).getHostAddress();
          }
          out.add(value);
        }
      }
    } catch (CertificateParsingException | IOException e) {
      return List.of();
    }
    return out;
  }

  /** localhost, 127.0.0.1, ::1, this host's name, then the configured ones, each once. */
  static List<String> serverNames(List<String> configured) {
    Set<String> names = new LinkedHashSet<>();
    names.add("localhost");
    names.add("127.0.0.1");
    names.add("0:0:0:0:0:0:0:1");
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = null;
      }
    }
    if (host != null && !host.isBlank() && host.matches("[A-Za-z0-9.-]+")) {
      names.add(host);
    }
    for (String n : configured) {
      String v = n.strip();
      if (v.contains(":")) {
        try {
          v = InetAddress.getByName(v).getHostAddress();
        } catch (IOException e) {
          throw new IllegalArgumentException("tls-name: " + n + " is not an IPv6 address", e);
        }
      }
      if (!v.isEmpty()) {
        names.add(v);
      }
    }
    return List.copyOf(names);
  }

  /** Mutual TLS: a server certificate, and client certificates optional (admins use tokens). */
  public ServerCredentials serverCredentials() {
    return TlsServerCredentials.newBuilder()
        .keyManager(Trust.keyManager(serverKey, serverChain))
        .trustManager(Trust.anchoredAt(List.of(authority.certificate())))
        .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
        .build();
  }

  public CertificateAuthority authority() {
    return authority;
  }

  /** What agents and the CLI trust this server by; join tokens pin the first one. */
  public List<X509Certificate> serverAuthorities() {
    return serverAuthorities;
  }

  public List<X509Certificate> serverChain() {
    return serverChain;
  }

  public Path dir() {
    return dir;
  }

  /**
   * {@code trust.pem}: the CA(s) clients trust this server by, in PEM: Botfleet's CA, or the
   * operator's {@code --tls-ca}. The CLI reads it by default ({@code --ca-file}).
   */
  public Path clientCaFile() {
    return dir.resolve(TRUST_FILE);
  }
}
