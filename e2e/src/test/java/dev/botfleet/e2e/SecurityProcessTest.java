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
}
