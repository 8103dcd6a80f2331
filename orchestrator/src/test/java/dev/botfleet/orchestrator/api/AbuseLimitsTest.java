package dev.botfleet.orchestrator.api;

import static dev.botfleet.testing.BearerToken.bearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.rpc.RetryInfo;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.CreatePrincipalRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import dev.botfleet.proto.v1.WhoAmIRequest;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 §4: limits against abuse — the per-principal request rate and the transport limits. */
class AbuseLimitsTest {
  @TempDir Path dir;

  static OrchestratorConfig.Limits limits(double rate, int burst) {
    return OrchestratorConfig.Limits.defaults().withRateLimit(rate, burst);
  }

  @Test
  void issue_12_a_principal_over_its_request_rate_is_refused_resource_exhausted_with_a_retry_hint()
      throws Exception {
    try (TestOrchestrator t = TestOrchestrator.h2(dir, limits(1, 3))) {
      String other = t.principal("ops", Role.SERVICE_ADMIN, null); // a tenant role needs no env
      var admin = t.admin(AdminServiceGrpc::newBlockingStub);
      for (int i = 0; i < 3; i++) {
        admin.whoAmI(WhoAmIRequest.getDefaultInstance());
      }

      assertThatThrownBy(() -> admin.whoAmI(WhoAmIRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(GrpcErrors.reason(e)).isEqualTo("RATE_LIMITED");
                RetryInfo retry =
                    StatusProto.fromThrowable(e).getDetailsList().stream()
                        .filter(d -> d.is(RetryInfo.class))
                        .map(
                            d -> {
                              try {
                                return d.unpack(RetryInfo.class);
                              } catch (Exception x) {
                                throw new AssertionError(x);
                              }
                            })
                        .findFirst()
                        .orElseThrow();
                long delayMillis =
                    retry.getRetryDelay().getSeconds() * 1000
                        + retry.getRetryDelay().getNanos() / 1_000_000;
                assertThat(delayMillis).isBetween(1L, 1000L);
              });
      // Per principal: another one is not held back.
      assertThat(
              t.as(other, AdminServiceGrpc::newBlockingStub)
                  .whoAmI(WhoAmIRequest.getDefaultInstance())
                  .getPrincipal()
                  .getName())
          .isEqualTo("ops");
      // About a second later one token is back (the buckets run on real time).
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(() -> admin.whoAmI(WhoAmIRequest.getDefaultInstance()) != null);
    }
  }

  @Test
  void issue_12_agent_stream_messages_are_not_rate_limited() throws Exception {
    try (TestOrchestrator t = TestOrchestrator.h2(dir, limits(1, 2))) {
      t.admin(EnvironmentServiceGrpc::newBlockingStub)
          .createEnvironment(
              CreateEnvironmentRequest.newBuilder()
                  .setName("prod")
                  .setType(EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
                  .build());
      String token =
          t.admin(MachineServiceGrpc::newBlockingStub)
              .createJoinToken(CreateJoinTokenRequest.newBuilder().setEnvironment("prod").build())
              .getToken();
      ProtocolAgent a = ProtocolAgent.enroll(t.channel(), token, "m1", 1).connect();
      try {
        for (int i = 0; i < 50; i++) {
          a.heartbeat();
        }
        await().until(() -> t.orchestrator.dispatcher.localMachines() == 1);
        assertThat(a.streamError).isNull();
      } finally {
        a.close();
      }
    }
  }

  @Test
  void issue_12_the_server_refuses_a_message_over_its_max_inbound_message_size() throws Exception {
    var limits =
        new OrchestratorConfig.Limits(
            100,
            Duration.ofSeconds(20),
            Duration.ofSeconds(60),
            Duration.ofSeconds(20),
            Duration.ofHours(1),
            Duration.ofSeconds(30),
            64 * 1024,
            0,
            1);
    var config = OrchestratorConfig.defaults(dir).withPorts(0, 0).withLimits(limits);
    config =
        new OrchestratorConfig(
            dir,
            "127.0.0.1",
            0,
            0,
            null,
            null,
            null,
            4,
            config.clock(),
            config.timings(),
            config.dbWait(),
            OrchestratorConfig.Tls.insecurePlaintext(), // a message-size limit, not TLS, is tested
            limits);
    try (Orchestrator o = Orchestrator.start(config)) {
      String adminToken = Files.readString(dir.resolve("admin.token")).trim();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", o.grpcPort()).usePlaintext().build();
      try {
        var stub =
            AdminServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(bearer(adminToken))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        assertThat(stub.whoAmI(WhoAmIRequest.getDefaultInstance()).getPrincipal().getName())
            .isEqualTo("admin");
        assertThatThrownBy(
                () ->
                    stub.createPrincipal(
                        CreatePrincipalRequest.newBuilder().setName("x".repeat(100_000)).build()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void issue_12_the_permitted_keepalive_stays_below_the_agents_keepalive() {
    assertThat(OrchestratorConfig.Limits.defaults().permitKeepAliveTime())
        .isLessThan(OrchestratorConfig.AGENT_KEEPALIVE_TIME);
    assertThatThrownBy(
            () ->
                new OrchestratorConfig.Limits(
                    100,
                    OrchestratorConfig.AGENT_KEEPALIVE_TIME,
                    Duration.ofSeconds(60),
                    Duration.ofSeconds(20),
                    Duration.ZERO,
                    Duration.ofSeconds(30),
                    4 << 20,
                    0,
                    1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("permit-keepalive-time");
  }
}
