package dev.botfleet.orchestrator.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.testing.ProtocolAgent;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7: a replica that holds an open but silent stream ends it by itself, even when another
 * replica won the race to mark the machine OFFLINE (so this replica's sweeper has nothing to do).
 * The background sweeper is off here (hour-long interval), so only the stream holder can act.
 */
class FrozenStreamTest {
  @TempDir Path dir;

  @Test
  void
      issue7_a_silent_stream_is_ended_by_the_replica_holding_it_when_another_replica_marked_the_machine_offline()
          throws Exception {
    var timings =
        new OrchestratorConfig.Timings(
            Duration.ofSeconds(1),
            Duration.ofSeconds(10),
            Duration.ofHours(1),
            Duration.ofSeconds(30));
    try (TestOrchestrator t = TestOrchestrator.h2(dir, timings)) {
      Fleet fleet = new Fleet(t).environment("prod", EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION);
      try (fleet) {
        ProtocolAgent a = fleet.agent(Fleet.ENV, "m1", 1);
        await().until(() -> t.orchestrator.dispatcher.localMachines() == 1);

        // The agent freezes; another replica's sweeper marks the machine OFFLINE.
        t.clock.advance(Duration.ofSeconds(11));
        assertThat(
                t.orchestrator.machines.markStaleOffline(
                    t.clock.instant().minus(Duration.ofSeconds(10))))
            .hasSize(1);

        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> t.orchestrator.dispatcher.localMachines() == 0);
        assertThat(fleet.machine(Fleet.ENV, "m1").getStatus())
            .isEqualTo(MachineStatus.MACHINE_STATUS_OFFLINE);

        // Awake again, it says Hello and is ONLINE.
        a.connect();
        await()
            .until(
                () ->
                    fleet.machine(Fleet.ENV, "m1").getStatus()
                        == MachineStatus.MACHINE_STATUS_ONLINE);
      }
    }
  }
}
