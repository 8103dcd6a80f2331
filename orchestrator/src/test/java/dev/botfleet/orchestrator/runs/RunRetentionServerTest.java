package dev.botfleet.orchestrator.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.CancelRunRequest;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SubmitRunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 target 3 through the whole server: a run cancelled 31 days ago is gone after a purge (and
 * counted in botfleet_runs_purged_total), a queued run of the same age stays, and the purged run's
 * idempotency key makes a new run.
 */
class RunRetentionServerTest {
  @TempDir Path dir;
  TestOrchestrator t;
  Fleet fleet;

  @BeforeEach
  void setUp() throws Exception {
    t = TestOrchestrator.h2(dir);
    fleet = new Fleet(t).prod(2, 2);
    fleet.agent(Fleet.ENV, "m1", 1);
    // Keep runs queued: the machine takes none.
    fleet.maintenance(Fleet.ENV, "m1", true);
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  String submit(String key) {
    return fleet
        .runs
        .submitRun(
            SubmitRunRequest.newBuilder()
                .setEnvironment(Fleet.ENV)
                .setFlow("noop")
                .setTarget(RunTarget.newBuilder().setMachine("m1"))
                .setIdempotencyKey(key)
                .build())
        .getRun()
        .getId();
  }

  @Test
  void issue_9_a_run_that_ended_past_the_retention_is_purged_and_counted() {
    String cancelled = submit("old-cancelled");
    String queued = submit("old-queued");
    fleet.runs.cancelRun(CancelRunRequest.newBuilder().setRunId(cancelled).build());

    t.clock.advance(Duration.ofDays(31));
    t.orchestrator.runRetention.purgeNow();
    // The background pass may have taken it first: either way it was purged once.
    assertThat(t.orchestrator.runRetention.purged()).isEqualTo(1);

    assertThatThrownBy(
            () -> fleet.runs.getRun(GetRunRequest.newBuilder().setRunId(cancelled).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(fleet.runs.getRun(GetRunRequest.newBuilder().setRunId(queued).build()).getRun())
        .isNotNull();
    assertThat(t.orchestrator.registry.scrape()).contains("botfleet_runs_purged_total 1.0");
    // The key went with its run (documented): it now makes a new run.
    assertThat(submit("old-cancelled")).isNotEqualTo(cancelled);
    assertThat(submit("old-queued")).isEqualTo(queued);
  }
}
