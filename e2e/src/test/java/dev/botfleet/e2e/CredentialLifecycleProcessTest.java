package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.common.tls.Pem;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CreatePrincipalResponse;
import dev.botfleet.proto.v1.WhoAmIRequest;
import dev.botfleet.testing.BearerToken;
import dev.botfleet.testing.Cli;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 §3 with real processes over TLS: a revoked token stops at once for a raw client, a
 * rotated machine credential gives the running agent a new certificate, and a removed machine's
 * agent is cut off and stops.
 */
class CredentialLifecycleProcessTest extends EndToEnd {
  @Test
  void issue_12_revocation_rotation_and_removal_reach_real_clients_and_agents() throws Exception {
    var o = orchestrator("orch");
    Cli admin = cli(o);
    environmentWithCapacity(admin, ENV, 1);
    String ops =
        admin
            .json(
                CreatePrincipalResponse.newBuilder(),
                "principal",
                "create",
                "ops",
                "--role",
                "SERVICE_ADMIN")
            .getToken();
    ManagedChannel channel = o.channel();
    try {
      var asOps =
          AdminServiceGrpc.newBlockingStub(channel)
              .withCallCredentials(BearerToken.bearer(ops))
              .withDeadlineAfter(30, TimeUnit.SECONDS);
      assertThat(asOps.whoAmI(WhoAmIRequest.getDefaultInstance()).getPrincipal().getName())
          .isEqualTo("ops");
      admin.run("principal", "revoke", "ops").ok();
      var refused =
          catchThrowableOfType(
              () -> asOps.whoAmI(WhoAmIRequest.getDefaultInstance()), StatusRuntimeException.class);
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      step("revoked token refused");
    } finally {
      channel.shutdownNow();
    }

    var agent = onlineAgent(o, admin, "m1", joinToken(admin, ENV, null), 1);
    Path clientPem = agentData("m1").resolve("tls").resolve("client.pem");
    String serialBefore = CertificateAuthority.serial(Pem.readCertificates(clientPem).get(0));
    admin.run("machine", "rotate-credential", "m1", "--env", ENV).ok();
    await("the agent holds a new certificate")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                !CertificateAuthority.serial(Pem.readCertificates(clientPem).get(0))
                    .equals(serialBefore));
    runToSuccess(admin, "echo", "m1");
    step("rotated");

    admin.run("machine", "remove", "m1", "--env", ENV).ok();
    assertThat(agent.awaitExit(WAIT)).isNotZero();
    assertThat(agent.log()).contains("refused the credential").contains("was removed");
    assertThat(admin.run("machine", "list", "--env", ENV).ok().out()).doesNotContain("m1");
    step("removed machine's agent stopped");
  }
}
