package dev.botfleet.orchestrator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.common.tls.Fingerprint;
import dev.botfleet.common.tls.Pem;
import dev.botfleet.common.tls.Trust;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.CreateJoinTokenResponse;
import dev.botfleet.proto.v1.EnrollRequest;
import dev.botfleet.proto.v1.EnrollResponse;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.Hello;
import dev.botfleet.proto.v1.MachineCapacity;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import dev.botfleet.proto.v1.OrchestratorMessage;
import dev.botfleet.proto.v1.OsFamily;
import dev.botfleet.proto.v1.RenewCertificate;
import dev.botfleet.testing.BearerToken;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 §1 through a real Netty server on a real port and raw gRPC stubs (no Botfleet client
 * code): TLS only, join tokens that pin the CA, CSR enrolment, certificates that name the machine,
 * renewal and revocation of the replaced certificate.
 */
class MutualTlsTest {
  @TempDir Path dir;
  private Orchestrator orchestrator;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private String adminToken;

  @BeforeEach
  void start() throws Exception {
    orchestrator = Orchestrator.start(config(dir.resolve("data")));
    adminToken = Files.readString(dir.resolve("data").resolve("admin.token")).trim();
    EnvironmentServiceGrpc.newBlockingStub(trusted(null))
        .withCallCredentials(BearerToken.bearer(adminToken))
        .createEnvironment(
            CreateEnvironmentRequest.newBuilder()
                .setName("prod")
                .setType(EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
                .build());
  }

  private static OrchestratorConfig config(Path data) {
    return new OrchestratorConfig(data, "127.0.0.1", 0, 0, null, null, null, 4, Clock.systemUTC())
        .withTls(OrchestratorConfig.Tls.ownCa());
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private String target() {
    return "localhost:" + orchestrator.grpcPort();
  }

  /** A channel trusting the server's trust.pem, presenting {@code client} if given. */
  private ManagedChannel trusted(KeyAndCert client) {
    var b =
        TlsChannelCredentials.newBuilder()
            .trustManager(Trust.anchoredAt(Pem.readCertificates(orchestrator.tls.clientCaFile())));
    if (client != null) {
      // As the agent does: present the certificate whatever issuers the server asks for.
      b.keyManager(
          new dev.botfleet.common.tls.ReloadingKeyManager(
              client.pair.getPrivate(), List.of(client.cert)));
    }
    ManagedChannel ch = NettyChannelBuilder.forTarget(target(), b.build()).build();
    channels.add(ch);
    return ch;
  }

  record KeyAndCert(KeyPair pair, X509Certificate cert) {}

  private CreateJoinTokenResponse joinToken() {
    return MachineServiceGrpc.newBlockingStub(trusted(null))
        .withCallCredentials(BearerToken.bearer(adminToken))
        .createJoinToken(CreateJoinTokenRequest.newBuilder().setEnvironment("prod").build());
  }

  private static MachineCapacity capacity(String host) {
    return MachineCapacity.newBuilder()
        .setOsFamily(OsFamily.OS_FAMILY_LINUX)
        .setOsVersion("test")
        .setHostname(host)
        .setLogicalCpus(2)
        .setMemoryBytes(1L << 30)
        .setMaxSessions(2)
        .build();
  }

  private static String reason(StatusRuntimeException e) {
    var status = StatusProto.fromThrowable(e);
    for (var any : status.getDetailsList()) {
      if (any.is(com.google.rpc.ErrorInfo.class)) {
        try {
          return any.unpack(com.google.rpc.ErrorInfo.class).getReason();
        } catch (Exception ex) {
          throw new AssertionError(ex);
        }
      }
    }
    return "";
  }

  /** Enrols {@code name} with a pinned channel, the way a new agent does. */
  private Enrolled enrol(String name) {
    CreateJoinTokenResponse token = joinToken();
    var pin = Fingerprint.parse(token.getToken().substring(token.getToken().lastIndexOf('.') + 1));
    ManagedChannel pinned =
        NettyChannelBuilder.forTarget(
                target(),
                TlsChannelCredentials.newBuilder().trustManager(Trust.pinned(pin)).build())
            .build();
    channels.add(pinned);
    KeyPair pair = CertificateAuthority.newKeyPair();
    EnrollResponse r =
        AgentServiceGrpc.newBlockingStub(pinned)
            .enroll(
                EnrollRequest.newBuilder()
                    .setJoinToken(token.getToken())
                    .setCapacity(capacity(name))
                    .setMachineName(name)
                    .setCsr(Pem.csr(CertificateAuthority.newCsr(pair, name)))
                    .build());
    return new Enrolled(r, new KeyAndCert(pair, Pem.parseCertificates(r.getCertificate()).get(0)));
  }

  record Enrolled(EnrollResponse response, KeyAndCert client) {}

  /** Opens Connect with Hello and returns the first message or the error that closed it. */
  private CompletableFuture<Object> hello(
      ManagedChannel channel, Enrolled as, List<AgentMessage> thenSend) {
    CompletableFuture<Object> first = new CompletableFuture<>();
    StreamObserver<AgentMessage> up =
        AgentServiceGrpc.newStub(channel)
            .connect(
                new StreamObserver<>() {
                  @Override
                  public void onNext(OrchestratorMessage m) {
                    if (!thenSend.isEmpty() && !m.hasCertificateIssued()) {
                      return; // wait for the answer to what we send after Hello
                    }
                    first.complete(m);
                  }

                  @Override
                  public void onError(Throwable t) {
                    first.complete(t);
                  }

                  @Override
                  public void onCompleted() {
                    first.complete("completed");
                  }
                });
    up.onNext(
        AgentMessage.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setMachineId(as.response.getMachineId())
                    .setCredential(as.response.getCredential())
                    .setCapacity(capacity(as.response.getMachineName())))
            .build());
    thenSend.forEach(up::onNext);
    first.whenComplete((x, e) -> up.onCompleted());
    return first;
  }

  private Object first(CompletableFuture<Object> f) throws Exception {
    return f.get(20, TimeUnit.SECONDS);
  }

  @Test
  void issue_12_the_server_speaks_tls_only_and_a_plaintext_client_gets_nothing() {
    ManagedChannel plain = NettyChannelBuilder.forTarget(target()).usePlaintext().build();
    channels.add(plain);
    assertThatThrownBy(
            () ->
                EnvironmentServiceGrpc.newBlockingStub(plain)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .withCallCredentials(BearerToken.bearer(adminToken))
                    .listEnvironments(
                        dev.botfleet.proto.v1.ListEnvironmentsRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void a1_join_token_pins_the_ca_and_a_client_pinning_another_ca_refuses_the_server() {
    CreateJoinTokenResponse token = joinToken();
    String fingerprint = Fingerprint.of(orchestrator.tls.serverAuthorities().get(0)).hex();
    assertThat(token.getCaFingerprint()).isEqualTo(fingerprint);
    assertThat(token.getToken()).endsWith("." + fingerprint);

    var impostorPin = CertificateAuthority.create("someone else", Clock.systemUTC()).fingerprint();
    ManagedChannel wrong =
        NettyChannelBuilder.forTarget(
                target(),
                TlsChannelCredentials.newBuilder().trustManager(Trust.pinned(impostorPin)).build())
            .build();
    channels.add(wrong);
    assertThatThrownBy(
            () ->
                AgentServiceGrpc.newBlockingStub(wrong)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .enroll(
                        EnrollRequest.newBuilder()
                            .setJoinToken(token.getToken())
                            .setCapacity(capacity("m"))
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    // The token was not spent on the impostor: the real orchestrator was never reached.
    assertThat(enrolWith(token, "m")).isNotNull();
  }

  private EnrollResponse enrolWith(CreateJoinTokenResponse token, String name) {
    return AgentServiceGrpc.newBlockingStub(trusted(null))
        .enroll(
            EnrollRequest.newBuilder()
                .setJoinToken(token.getToken())
                .setCapacity(capacity(name))
                .setMachineName(name)
                .setCsr(
                    Pem.csr(CertificateAuthority.newCsr(CertificateAuthority.newKeyPair(), name)))
                .build());
  }

  @Test
  void a1_enrolment_needs_a_valid_csr_and_returns_a_certificate_naming_the_machine() {
    CreateJoinTokenResponse token = joinToken();
    var stub = AgentServiceGrpc.newBlockingStub(trusted(null));
    assertThatThrownBy(
            () ->
                stub.enroll(
                    EnrollRequest.newBuilder()
                        .setJoinToken(token.getToken())
                        .setCapacity(capacity("m"))
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(reason(e)).isEqualTo("A1_CSR_REQUIRED");
            });
    // A CSR whose signature is not by its key: proof of possession fails.
    String forged =
        Pem.csr(CertificateAuthority.newCsr(CertificateAuthority.newKeyPair(), "m"))
            .replaceFirst("(?s)(-----BEGIN CERTIFICATE REQUEST-----\\n.{60})(.)", "$1A");
    assertThatThrownBy(
            () ->
                stub.enroll(
                    EnrollRequest.newBuilder()
                        .setJoinToken(token.getToken())
                        .setCapacity(capacity("m"))
                        .setCsr(forged)
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(reason(e)).isEqualTo("A1_CSR_INVALID");
            });
    // Refused requests do not spend the token.
    Enrolled ok = new Enrolled(enrolWith(token, "m"), null);
    X509Certificate cert = Pem.parseCertificates(ok.response.getCertificate()).get(0);
    assertThat(CertificateAuthority.commonName(cert)).isEqualTo(ok.response.getMachineId());
    assertThat(
            Fingerprint.parse(token.getCaFingerprint())
                .find(Pem.parseCertificates(ok.response.getCaCertificates())))
        .isPresent();
    assertThat(cert.getNotAfter().toInstant())
        .isBefore(java.time.Instant.now().plus(Duration.ofDays(8)));
  }

  @Test
  void a1_the_agent_stream_needs_the_machines_own_certificate() throws Exception {
    Enrolled m1 = enrol("m1");
    Enrolled m2 = enrol("m2");
    // No client certificate at all.
    Object none = first(hello(trusted(null), m1, List.of()));
    assertThat(none).isInstanceOf(StatusRuntimeException.class);
    assertThat(reason((StatusRuntimeException) none)).isEqualTo("A1_CERTIFICATE_REQUIRED");
    // m2's certificate with m1's Hello and credential: refused.
    Object other = first(hello(trusted(m2.client), m1, List.of()));
    assertThat(reason((StatusRuntimeException) other)).isEqualTo("A1_CERTIFICATE_MISMATCH");
    // A certificate for m1's id from another CA fails the handshake.
    CertificateAuthority foreign = CertificateAuthority.create("foreign", Clock.systemUTC());
    KeyPair pair = CertificateAuthority.newKeyPair();
    X509Certificate forged =
        foreign.issueClient(pair.getPublic(), m1.response.getMachineId(), Duration.ofHours(1));
    Object refused = first(hello(trusted(new KeyAndCert(pair, forged)), m1, List.of()));
    assertThat(refused).isInstanceOf(StatusRuntimeException.class);
    StatusRuntimeException e = (StatusRuntimeException) refused;
    assertThat(e.getStatus().getCode())
        .as(e.getStatus() + " " + reason(e))
        .isEqualTo(Status.Code.UNAVAILABLE);
    // Its own certificate: welcomed.
    Object welcome = first(hello(trusted(m1.client), m1, List.of()));
    assertThat(welcome).isInstanceOf(OrchestratorMessage.class);
    assertThat(((OrchestratorMessage) welcome).hasWelcome()).isTrue();
  }

  @Test
  void a1_renewal_over_the_stream_issues_a_new_certificate_and_retires_the_old_one_once_used()
      throws Exception {
    Enrolled m1 = enrol("m1");
    KeyPair next = CertificateAuthority.newKeyPair();
    Object answer =
        first(
            hello(
                trusted(m1.client),
                m1,
                List.of(
                    AgentMessage.newBuilder()
                        .setRenewCertificate(
                            RenewCertificate.newBuilder()
                                .setCsr(Pem.csr(CertificateAuthority.newCsr(next, "m1"))))
                        .build())));
    assertThat(answer).isInstanceOf(OrchestratorMessage.class);
    OrchestratorMessage issued = (OrchestratorMessage) answer;
    assertThat(issued.hasCertificateIssued()).isTrue();
    X509Certificate renewed =
        Pem.parseCertificates(issued.getCertificateIssued().getCertificate()).get(0);
    assertThat(renewed.getPublicKey()).isEqualTo(next.getPublic());
    assertThat(CertificateAuthority.commonName(renewed)).isEqualTo(m1.response.getMachineId());

    // Until the new certificate is used, the old one still opens a stream (a crash mid-renewal
    // must not lock the agent out) ...
    Object old = first(hello(trusted(m1.client), m1, List.of()));
    assertThat(((OrchestratorMessage) old).hasWelcome()).isTrue();
    // ... the new one does too, and from then on the old one is refused.
    Object fresh = first(hello(trusted(new KeyAndCert(next, renewed)), m1, List.of()));
    assertThat(((OrchestratorMessage) fresh).hasWelcome()).isTrue();
    Object retired = first(hello(trusted(m1.client), m1, List.of()));
    assertThat(reason((StatusRuntimeException) retired)).isEqualTo("A1_CERTIFICATE_REVOKED");
  }

  @Test
  void
      issue_12_keys_are_private_and_the_ca_survives_a_restart_while_new_names_get_a_new_server_cert()
          throws Exception {
    Path tls = dir.resolve("data").resolve("tls");
    for (String key : List.of("ca.key", "server.key")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve(key))))
          .isEqualTo("rw-------");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tls)))
        .isEqualTo("rwx------");
    Fingerprint ca = orchestrator.tls.authority().fingerprint();
    X509Certificate server = orchestrator.tls.serverChain().get(0);
    orchestrator.close();
    // The same names: the same server certificate, not a new one per start.
    orchestrator = Orchestrator.start(config(dir.resolve("data")));
    assertThat(orchestrator.tls.serverChain().get(0)).isEqualTo(server);
    orchestrator.close();
    orchestrator =
        Orchestrator.start(
            config(dir.resolve("data"))
                .withTls(
                    new OrchestratorConfig.Tls(
                        false,
                        null,
                        null,
                        null,
                        null,
                        List.of("botfleet.example.org", "10.1.2.3"),
                        Duration.ofDays(7))));
    assertThat(orchestrator.tls.authority().fingerprint()).isEqualTo(ca);
    X509Certificate now = orchestrator.tls.serverChain().get(0);
    assertThat(now.getSerialNumber()).isNotEqualTo(server.getSerialNumber());
    assertThat(ServerTls.subjectAltNames(now)).contains("botfleet.example.org", "10.1.2.3");
    // And clients that trust the same trust.pem still connect.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        EnvironmentServiceGrpc.newBlockingStub(trusted(null))
                            .withCallCredentials(BearerToken.bearer(adminToken))
                            .listEnvironments(
                                dev.botfleet.proto.v1.ListEnvironmentsRequest.getDefaultInstance())
                            .getEnvironmentsCount())
                    .isEqualTo(1));
  }

  /** An open agent stream that records what the orchestrator sends. */
  private static final class AgentStream {
    final java.util.concurrent.BlockingQueue<Object> received =
        new java.util.concurrent.LinkedBlockingQueue<>();
    final StreamObserver<AgentMessage> up;

    AgentStream(ManagedChannel channel, Enrolled as) {
      up =
          AgentServiceGrpc.newStub(channel)
              .connect(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(OrchestratorMessage m) {
                      received.add(m);
                    }

                    @Override
                    public void onError(Throwable t) {
                      received.add(t);
                    }

                    @Override
                    public void onCompleted() {
                      received.add("completed");
                    }
                  });
      up.onNext(
          AgentMessage.newBuilder()
              .setHello(
                  Hello.newBuilder()
                      .setMachineId(as.response.getMachineId())
                      .setCredential(as.response.getCredential())
                      .setCapacity(capacity(as.response.getMachineName())))
              .build());
    }

    /** The next message of the given kind, skipping others (Welcome, Settings). */
    OrchestratorMessage next(OrchestratorMessage.BodyCase kind) throws Exception {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < end) {
        Object o = received.poll(200, TimeUnit.MILLISECONDS);
        if (o instanceof OrchestratorMessage m && m.getBodyCase() == kind) {
          return m;
        }
        if (o instanceof Throwable t) {
          throw new AssertionError("stream closed: " + t, t);
        }
      }
      throw new AssertionError("no " + kind + " within 20 s");
    }
  }

  private dev.botfleet.proto.v1.RotateMachineCredentialResponse rotate(String machine) {
    return MachineServiceGrpc.newBlockingStub(trusted(null))
        .withCallCredentials(BearerToken.bearer(adminToken))
        .rotateMachineCredential(
            dev.botfleet.proto.v1.RotateMachineCredentialRequest.newBuilder()
                .setEnvironment("prod")
                .setMachine(machine)
                .build());
  }

  private static AgentMessage renewal(KeyPair key) {
    return AgentMessage.newBuilder()
        .setRenewCertificate(
            RenewCertificate.newBuilder().setCsr(Pem.csr(CertificateAuthority.newCsr(key, "m"))))
        .build();
  }

  @Test
  void issue_12_rotate_credential_asks_the_connected_agent_and_revokes_the_old_certificate_at_once()
      throws Exception {
    Enrolled m1 = enrol("m1");
    AgentStream stream = new AgentStream(trusted(m1.client), m1);
    stream.next(OrchestratorMessage.BodyCase.WELCOME);
    assertThat(rotate("m1").getAskedNow()).isTrue();
    stream.next(OrchestratorMessage.BodyCase.ROTATE_CERTIFICATE);
    KeyPair next = CertificateAuthority.newKeyPair();
    stream.up.onNext(renewal(next));
    X509Certificate issued =
        Pem.parseCertificates(
                stream
                    .next(OrchestratorMessage.BodyCase.CERTIFICATE_ISSUED)
                    .getCertificateIssued()
                    .getCertificate())
            .get(0);
    stream.up.onCompleted();
    // Unlike a renewal, the old certificate is refused at once, before the new one was used.
    Object old = first(hello(trusted(m1.client), m1, List.of()));
    assertThat(reason((StatusRuntimeException) old)).isEqualTo("A1_CERTIFICATE_REVOKED");
    Object fresh = first(hello(trusted(new KeyAndCert(next, issued)), m1, List.of()));
    assertThat(((OrchestratorMessage) fresh).hasWelcome()).isTrue();
  }

  @Test
  void issue_12_a_disconnected_machine_is_asked_to_rotate_at_its_next_hello() throws Exception {
    Enrolled m1 = enrol("m1");
    assertThat(rotate("m1").getAskedNow()).isFalse();
    AgentStream stream = new AgentStream(trusted(m1.client), m1);
    stream.next(OrchestratorMessage.BodyCase.WELCOME);
    stream.next(OrchestratorMessage.BodyCase.ROTATE_CERTIFICATE);
    stream.up.onCompleted();
  }

  @Test
  void issue_12_an_operators_own_server_certificate_is_served_pinned_and_trusted()
      throws Exception {
    CertificateAuthority operator = CertificateAuthority.create("Operator CA", Clock.systemUTC());
    KeyPair key = CertificateAuthority.newKeyPair();
    X509Certificate leaf =
        operator.issueServer(
            key.getPublic(), List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
    // The operator's chain file lacks the CA: the server adds it, since agents pin it.
    Path cert = Files.writeString(dir.resolve("server.pem"), Pem.certificate(leaf));
    Path pk = Files.writeString(dir.resolve("server.key"), Pem.privateKey(key.getPrivate()));
    Path ca = Files.writeString(dir.resolve("ca.pem"), Pem.certificate(operator.certificate()));
    orchestrator.close();
    Path data = dir.resolve("byo");
    orchestrator =
        Orchestrator.start(
            config(data)
                .withTls(
                    new OrchestratorConfig.Tls(
                        false, null, cert, pk, ca, List.of(), Duration.ofDays(7))));
    adminToken = Files.readString(data.resolve("admin.token")).trim();
    assertThat(orchestrator.tls.serverChain()).containsExactly(leaf, operator.certificate());
    assertThat(Pem.readCertificates(orchestrator.tls.clientCaFile()))
        .containsExactly(operator.certificate());
    EnvironmentServiceGrpc.newBlockingStub(trusted(null))
        .withCallCredentials(BearerToken.bearer(adminToken))
        .createEnvironment(
            CreateEnvironmentRequest.newBuilder()
                .setName("prod")
                .setType(EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
                .build());
    assertThat(joinToken().getCaFingerprint())
        .isEqualTo(Fingerprint.of(operator.certificate()).hex());
    // An agent pinning the operator's CA enrols; its client certificate comes from Botfleet's CA.
    Enrolled m1 = enrol("m1");
    assertThat(m1.client.cert.getIssuerX500Principal())
        .isEqualTo(orchestrator.tls.authority().certificate().getSubjectX500Principal());
    Object welcome = first(hello(trusted(m1.client), m1, List.of()));
    assertThat(((OrchestratorMessage) welcome).hasWelcome()).isTrue();
  }
}
