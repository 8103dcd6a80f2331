package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.botfleet.proto.v1.CreatePrincipalResponse;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.WhoAmIRequest;
import dev.botfleet.testing.BearerToken;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 with a real orchestrator process, over TLS, through raw gRPC stubs as a foreign client
 * would call: reads follow the roles, a maker is bound to its environments, and failed
 * authentication from one source is throttled.
 */
class SecurityProcessTest extends EndToEnd {
  private static String reason(StatusRuntimeException e) {
    var status = StatusProto.fromThrowable(e);
    if (status == null) {
      return "";
    }
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

  @Test
  void issue_12_a_maker_reads_only_its_environment_and_bad_tokens_are_throttled_per_source()
      throws Exception {
    var o = orchestrator("orch");
    Cli admin = cli(o);
    environmentWithCapacity(admin, ENV, 1);
    admin.run("env", "create", "test", "--type", "SANDBOX").ok();
    onlineAgent(o, admin, "m1", joinToken(admin, ENV, null), 1);
    Run prodRun = submit(admin, "echo", "m1");
    String maker =
        admin
            .json(
                CreatePrincipalResponse.newBuilder(),
                "principal",
                "create",
                "mo",
                "--role",
                "MAKER",
                "--env",
                "test")
            .getToken();

    ManagedChannel channel = o.channel();
    try {
      var asMaker =
          RunServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(BearerToken.bearer(maker))
              .withDeadlineAfter(30, TimeUnit.SECONDS);
      // Another environment's run does not exist for the maker, inputs and all.
      var notFound =
          catchThrowableOfType(
              () -> asMaker.getRun(GetRunRequest.newBuilder().setRunId(prodRun.getId()).build()),
              StatusRuntimeException.class);
      assertThat(notFound.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      var denied =
          catchThrowableOfType(
              () -> asMaker.listRuns(ListRunsRequest.newBuilder().setEnvironment(ENV).build()),
              StatusRuntimeException.class);
      assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(reason(denied)).isEqualTo("O4_ENVIRONMENT_ROLE_REQUIRED");
      assertThat(
              asMaker
                  .listRuns(ListRunsRequest.newBuilder().setEnvironment("test").build())
                  .getRunsCount())
          .isZero();
      // The admin still reads it.
      assertThat(
              RunServiceGrpc.newBlockingStub(channel)
                  .withCallCredentials(BearerToken.bearer(adminToken(o)))
                  .getRun(GetRunRequest.newBuilder().setRunId(prodRun.getId()).build())
                  .getRun()
                  .getId())
          .isEqualTo(prodRun.getId());

      // Last, because it throttles this test's source address: guessing tokens.
      var guessing =
          dev.botfleet.proto.v1.AdminServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(BearerToken.bearer("bfp_guess"))
              .withDeadlineAfter(30, TimeUnit.SECONDS);
      StatusRuntimeException last = null;
      for (int i = 0; i < 25; i++) {
        last =
            catchThrowableOfType(
                () -> guessing.whoAmI(WhoAmIRequest.getDefaultInstance()),
                StatusRuntimeException.class);
      }
      assertThat(last.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(reason(last)).isEqualTo("O4_AUTHENTICATION_THROTTLED");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void issue_12_refusals_are_audited_and_a_principal_over_its_rate_is_told_when_to_retry()
      throws Exception {
    java.util.List<String> flags = new java.util.ArrayList<>(Processes.SHORT_TIMINGS);
    flags.addAll(java.util.List.of("--rate-limit", "1", "--rate-limit-burst", "5"));
    var options =
        Processes.ServerOptions.h2(dir.resolve("orch-data"))
            .onPort(Processes.freePort())
            .withTimings(flags.toArray(String[]::new));
    var first = procs.startOrchestrator("orch-1", options);
    String burst =
        cli(first)
            .json(
                CreatePrincipalResponse.newBuilder(),
                "principal",
                "create",
                "burst",
                "--role",
                "SERVICE_ADMIN")
            .getToken();
    ManagedChannel channel = first.channel();
    try {
      var guessing =
          dev.botfleet.proto.v1.AdminServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(BearerToken.bearer("bfp_guessed_token"))
              .withDeadlineAfter(30, TimeUnit.SECONDS);
      for (int i = 0; i < 3; i++) {
        var refused =
            catchThrowableOfType(
                () -> guessing.whoAmI(WhoAmIRequest.getDefaultInstance()),
                StatusRuntimeException.class);
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      }
      var asBurst =
          dev.botfleet.proto.v1.AdminServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(BearerToken.bearer(burst))
              .withDeadlineAfter(30, TimeUnit.SECONDS);
      StatusRuntimeException limited = null;
      for (int i = 0; i < 20 && limited == null; i++) {
        try {
          asBurst.whoAmI(WhoAmIRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
          limited = e;
        }
      }
      assertThat(limited).as("20 calls at once over a rate of 1/s, burst 5").isNotNull();
      assertThat(limited.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(reason(limited)).isEqualTo("RATE_LIMITED");
      assertThat(
              StatusProto.fromThrowable(limited).getDetailsList().stream()
                  .anyMatch(d -> d.is(com.google.rpc.RetryInfo.class)))
          .isTrue();
    } finally {
      channel.shutdownNow();
    }
    // An orderly stop writes the refusal counts of the minute that has not ended yet.
    first.proc.stop();
    var second = procs.startOrchestrator("orch-2", options);
    String audit = cli(second).run("audit", "list", "--action", "refusal.").ok().out();
    assertThat(audit).contains("refusal.authentication").contains("count=3");
    assertThat(audit).doesNotContain("bfp_guessed_token"); // a prefix at most, never the token
  }

  @Test
  void
      issue_12_connections_past_their_max_age_are_cut_and_the_agent_carries_on_without_losing_a_run()
          throws Exception {
    java.util.List<String> flags = new java.util.ArrayList<>(Processes.SHORT_TIMINGS);
    flags.addAll(
        java.util.List.of("--max-connection-age", "5s", "--max-connection-age-grace", "1s"));
    var o =
        procs.startOrchestrator(
            "orch",
            Processes.ServerOptions.h2(dir.resolve("orch-data"))
                .withTimings(flags.toArray(String[]::new)));
    Cli admin = cli(o);
    environmentWithCapacity(admin, ENV, 1);
    var agent = onlineAgent(o, admin, "m1", joinToken(admin, ENV, null), 1);
    // A run that outlives several connections: reported once, on whichever stream is up.
    Run run = submit(admin, "sleep", "m1", sleepInputs("age", 12).toArray(String[]::new));
    Run done =
        awaitRun(admin, run.getId(), dev.botfleet.proto.v1.RunState.RUN_STATE_SUCCEEDED, WAIT);
    assertThat(done.getAttempt()).isEqualTo(1);
    assertThat(agent.log().split("event=connected ", -1).length - 1)
        .as("the agent reconnected after its connections aged out")
        .isGreaterThanOrEqualTo(2);
    runToSuccess(admin, "echo", "m1");
  }
}
