package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.admin.Refusals;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.proto.v1.SubmitRunResult;
import dev.botfleet.proto.v1.SubmitRunsRequest;
import dev.botfleet.proto.v1.SubmitRunsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 "Batch submission": SubmitRuns takes up to 1,000 runs, each submitted as SubmitRun would
 * (R1, R4, R6, R10, authorization, request bounds) and answered on its own, in order, so one bad
 * run does not refuse the others. Through real stubs on a real server, once per database.
 */
abstract class SubmitRunsContract {
  @TempDir Path dir;
  TestOrchestrator t;
  Fleet fleet;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    fleet =
        new Fleet(t)
            .environment("prod", EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
            .environment("dev", EnvironmentType.ENVIRONMENT_TYPE_SANDBOX)
            .purchase(Sku.SKU_PROCESS, 4)
            .allocate("prod", Sku.SKU_PROCESS, 2)
            .allocate("dev", Sku.SKU_PROCESS, 2);
    // m1 can get a bot (auto-allocation); m2 never can (R4); d1 is another environment's.
    fleet.agent("prod", "m1", 2);
    fleet.agent("prod", "m2", 1);
    fleet.autoAllocation("prod", "m2", false);
    fleet.agent("dev", "d1", 1);
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  static SubmitRunRequest run(String env, String machine, String key) {
    return SubmitRunRequest.newBuilder()
        .setEnvironment(env)
        .setFlow("noop")
        .setTarget(RunTarget.newBuilder().setMachine(machine))
        .putInputs("n", key.isEmpty() ? "-" : key)
        .setIdempotencyKey(key)
        .build();
  }

  static SubmitRunsRequest batch(SubmitRunRequest... runs) {
    return SubmitRunsRequest.newBuilder().addAllRuns(List.of(runs)).build();
  }

  SubmitRunsResponse submit(SubmitRunsRequest req) {
    return fleet.runs.submitRuns(req);
  }

  dev.botfleet.proto.v1.Run get(String id) {
    return fleet.runs.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getRun();
  }

  int runsIn(String env) {
    return fleet
        .runs
        .listRuns(ListRunsRequest.newBuilder().setEnvironment(env).setPageSize(1000).build())
        .getRunsCount();
  }

  static void assertError(SubmitRunResult r, Status.Code code, ErrorReason reason) {
    assertThat(r.hasError()).as("an error, got %s", r).isTrue();
    assertThat(r.getCreated()).isFalse();
    assertThat(Status.fromCodeValue(r.getError().getCode()).getCode()).isEqualTo(code);
    assertThat(r.getError().getReason()).isEqualTo(reason.name());
    assertThat(r.getError().getMessage()).isNotBlank();
  }

  static void assertQueued(SubmitRunResult r) {
    assertThat(r.hasRun()).as("a run, got %s", r).isTrue();
    assertThat(r.getCreated()).isTrue();
    assertThat(r.getRun().getId()).startsWith("run_");
    assertThat(r.getRun().getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
  }

  // ------------------------------------------------------------------ partial failures

  @Test
  void issue_9_each_run_of_a_batch_is_answered_on_its_own_in_order() {
    SubmitRunsResponse res =
        submit(
            batch(
                run("prod", "m1", "a"),
                run("prod", "m2", "b"), // R4: no bot can ever come
                run("prod", "nope", "c"), // no such machine
                run("prod", "m1", "k".repeat(129)), // a bound of docs/limits.md
                SubmitRunRequest.newBuilder().setEnvironment("prod").setFlow("noop").build(), // R1
                run("prod", "m1", "").toBuilder()
                    .setQueueTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(-1))
                    .build(), // R10
                run("prod", "m1", "")));

    assertThat(res.getResultsList()).hasSize(7);
    assertQueued(res.getResults(0));
    assertError(res.getResults(1), Status.Code.FAILED_PRECONDITION, ErrorReason.R4_NO_BOT_POSSIBLE);
    assertError(res.getResults(2), Status.Code.NOT_FOUND, ErrorReason.MACHINE_NOT_FOUND);
    assertError(
        res.getResults(3), Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT_TOO_LONG);
    assertThat(res.getResults(3).getError().getMessage())
        .contains("idempotency_key")
        .doesNotContain("kkkk");
    assertError(res.getResults(4), Status.Code.INVALID_ARGUMENT, ErrorReason.R1_TARGET_REQUIRED);
    assertError(res.getResults(5), Status.Code.INVALID_ARGUMENT, ErrorReason.R10_TIMEOUT);
    assertQueued(res.getResults(6));
    // The good runs exist as answered; the refused ones left nothing behind.
    SubmitRunResult first = res.getResults(0);
    assertThat(get(first.getRun().getId()).getInputsMap()).containsEntry("n", "a");
    assertThat(first.getRun().getEnvironment()).isEqualTo("prod");
    assertThat(first.getRun().getTarget().getMachine()).isEqualTo("m1");
    assertThat(first.getRun().getFlow()).isEqualTo("noop");
    assertThat(runsIn("prod")).isEqualTo(2);
  }

  @Test
  void issue_9_a_full_batch_of_1000_runs_is_submitted_in_one_call() {
    var b = SubmitRunsRequest.newBuilder();
    IntStream.range(0, 1000).forEach(i -> b.addRuns(run("prod", "m1", "bulk-" + i)));
    SubmitRunsResponse res = submit(b.build());

    assertThat(res.getResultsList()).hasSize(1000).allSatisfy(SubmitRunsContract::assertQueued);
    assertThat(res.getResultsList().stream().map(r -> r.getRun().getId()).distinct()).hasSize(1000);
    assertThat(runsIn("prod")).isEqualTo(1000);
  }

  // ------------------------------------------------------------------ R6

  @Test
  void r6_retrying_a_batch_returns_the_same_runs_and_creates_none() {
    SubmitRunsRequest req =
        batch(run("prod", "m1", "r-1"), run("prod", "m1", "r-2"), run("prod", "m2", "r-3"));
    SubmitRunsResponse first = submit(req);
    SubmitRunsResponse retry = submit(req);

    for (int i = 0; i < 2; i++) {
      assertThat(first.getResults(i).getCreated()).isTrue();
      assertThat(retry.getResults(i).getCreated()).isFalse();
      assertThat(retry.getResults(i).getRun().getId())
          .isEqualTo(first.getResults(i).getRun().getId());
    }
    // A refused run is not remembered: the retry is refused again the same way (R4).
    assertError(
        first.getResults(2), Status.Code.FAILED_PRECONDITION, ErrorReason.R4_NO_BOT_POSSIBLE);
    assertError(
        retry.getResults(2), Status.Code.FAILED_PRECONDITION, ErrorReason.R4_NO_BOT_POSSIBLE);
    assertThat(runsIn("prod")).isEqualTo(2);
    // SubmitRun with one of the keys answers the same run too.
    assertThat(fleet.runs.submitRun(run("prod", "m1", "r-2")).getRun().getId())
        .isEqualTo(first.getResults(1).getRun().getId());
  }

  @Test
  void r6_a_key_reused_with_other_content_refuses_only_that_run() {
    String earlier = fleet.runs.submitRun(run("prod", "m1", "used")).getRun().getId();
    SubmitRunsResponse res =
        submit(
            batch(
                run("prod", "m1", "used").toBuilder().putInputs("n", "changed").build(),
                run("prod", "m1", "fresh"),
                run("prod", "m1", "used"),
                // The same key twice within the batch: the second is the first's retry, or refused.
                run("prod", "m1", "twice"),
                run("prod", "m1", "twice"),
                run("prod", "m1", "twice").toBuilder().setFlow("other").build()));

    assertError(
        res.getResults(0), Status.Code.ALREADY_EXISTS, ErrorReason.R6_IDEMPOTENCY_KEY_REUSED);
    assertThat(res.getResults(0).getError().getMessage()).contains("inputs").contains(earlier);
    assertQueued(res.getResults(1));
    assertThat(res.getResults(2).getCreated()).isFalse();
    assertThat(res.getResults(2).getRun().getId()).isEqualTo(earlier);
    assertQueued(res.getResults(3));
    assertThat(res.getResults(4).getCreated()).isFalse();
    assertThat(res.getResults(4).getRun().getId()).isEqualTo(res.getResults(3).getRun().getId());
    assertError(
        res.getResults(5), Status.Code.ALREADY_EXISTS, ErrorReason.R6_IDEMPOTENCY_KEY_REUSED);
    assertThat(get(earlier).getInputsMap()).containsEntry("n", "used");
    assertThat(runsIn("prod")).isEqualTo(3);
  }

  // ------------------------------------------------------------------ bounds of the call

  @Test
  void issue_9_an_empty_batch_or_one_over_1000_runs_is_refused_as_a_whole() {
    assertThatThrownBy(() -> submit(SubmitRunsRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(GrpcErrors.reason(e)).isEqualTo(ErrorReason.R1_BATCH_EMPTY.name());
            });
    var b = SubmitRunsRequest.newBuilder();
    IntStream.range(0, 1001).forEach(i -> b.addRuns(run("prod", "m1", "over-" + i)));
    assertThatThrownBy(() -> submit(b.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(GrpcErrors.reason(e))
                  .isEqualTo(ErrorReason.INVALID_ARGUMENT_TOO_MANY.name());
              assertThat(e.getStatus().getDescription()).contains("runs: 1001 items");
            });
    assertThat(runsIn("prod")).isZero();
  }

  // ------------------------------------------------------------------ authorization (O4)

  @Test
  void o4_a_maker_submits_only_in_its_environment_and_each_refusal_is_audited() {
    var maker = t.as(t.principal("mo", Role.MAKER, "dev"), RunServiceGrpc::newBlockingStub);
    SubmitRunsResponse res =
        maker.submitRuns(
            batch(run("dev", "d1", "mine"), run("prod", "m1", "theirs"), run("prod", "m1", "")));

    assertQueued(res.getResults(0));
    assertError(res.getResults(1), Status.Code.PERMISSION_DENIED, ErrorReason.MAKER_REQUIRED);
    assertError(res.getResults(2), Status.Code.PERMISSION_DENIED, ErrorReason.MAKER_REQUIRED);
    assertThat(runsIn("prod")).isZero();
    assertThat(runsIn("dev")).isEqualTo(1);

    t.orchestrator.refusals.flushAll();
    assertThat(
            t.admin(AdminServiceGrpc::newBlockingStub)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder()
                        .setActionPrefix(Refusals.PERMISSION)
                        .build())
                .getEventsList())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getActor()).isEqualTo("mo");
              assertThat(e.getTarget()).contains("method=botfleet.v1.RunService/SubmitRuns");
              assertThat(e.getAfter())
                  .isEqualTo("reason=" + ErrorReason.MAKER_REQUIRED + " count=2");
            });

    // Without a token nothing is submitted at all.
    assertThatThrownBy(
            () ->
                t.anonymous(RunServiceGrpc::newBlockingStub)
                    .submitRuns(batch(run("dev", "d1", "anon"))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThat(runsIn("dev")).isEqualTo(1);
  }
}
