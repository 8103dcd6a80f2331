package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.common.tls.Pem;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 §1 with real processes: agents enrol over TLS pinned by their join token, renew their
 * short-lived certificates over the stream, and reconnect with the renewed one after the first has
 * long expired; an agent that would trust anything but the pinned CA, or talk plaintext, gets
 * nowhere.
 */
class MutualTlsProcessTest extends EndToEnd {
  @Test
  void a1_agents_renew_their_certificates_and_reconnect_with_the_renewed_one_after_a_restart()
      throws Exception {
    List<String> flags = new ArrayList<>(Processes.SHORT_TIMINGS);
    flags.addAll(List.of("--agent-cert-life", "24s"));
    var options =
        Processes.ServerOptions.h2(dir.resolve("orch-data"))
            .onPort(Processes.freePort())
            .withTimings(flags.toArray(String[]::new));
    var first = procs.startOrchestrator("orch-1", options);
    Cli cli = cli(first);
    environmentWithCapacity(cli, ENV, 1);
    var agent = onlineAgent(first, cli, "m1", joinToken(cli, ENV, null), 1);
    Path clientPem = agentData("m1").resolve("tls").resolve("client.pem");
    Instant enrolmentExpires = Pem.readCertificates(clientPem).get(0).getNotAfter().toInstant();
    runToSuccess(cli, "echo", "m1");
    // Renewal at two thirds of 24 s.
    await("a renewal in the agent's log")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> agent.log().contains("event=certificate_renewed"));
    assertThat(Pem.readCertificates(clientPem).get(0).getNotAfter().toInstant())
        .isAfter(enrolmentExpires);
    step("renewed");
    first.proc.kill9();
    // Down until the enrolment certificate has expired: only the renewed one can reconnect.
    await("the enrolment certificate expired")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Instant.now().isAfter(enrolmentExpires.plusSeconds(1)));
    var second = procs.startOrchestrator("orch-2", options);
    Cli again = cli(second);
    awaitMachine(again, "m1", agent, MachineStatus.MACHINE_STATUS_ONLINE);
    runToSuccess(again, "echo", "m1");
    assertThat(agent.alive()).isTrue();
    assertThat(agent.log()).doesNotContain("certificate_unusable");
    step("reconnected with the renewed certificate after a restart");
  }

  @Test
  void a1_an_agent_whose_pin_names_another_ca_or_that_talks_plaintext_does_not_enrol()
      throws Exception {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 1);
    String token = joinToken(cli, ENV, null);
    String otherPin = "0".repeat(64);
    String tampered = token.substring(0, token.lastIndexOf('.') + 1) + otherPin;
    var impostor = agent(o, "m1", tampered, 1);
    assertThat(impostor.awaitExit(WAIT)).isEqualTo(1);
    assertThat(impostor.log()).contains("sha256:" + otherPin);

    List<String> args = new ArrayList<>(agentArgs(o, "m2", token, 1));
    args.add("--insecure-plaintext");
    var plaintext = procs.startAgent("m2", args, java.util.Map.of());
    assertThat(plaintext.awaitExit(WAIT)).isEqualTo(1);
    assertThat(plaintext.log()).contains("enrolment with");

    // Neither spent the token: the real agent enrols with it.
    onlineAgent(o, cli, "m3", token, 1);
    runToSuccess(cli, "echo", "m3");
  }
}
