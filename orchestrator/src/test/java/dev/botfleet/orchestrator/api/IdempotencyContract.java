package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.AllocateBotsRequest;
import dev.botfleet.proto.v1.AllocateBotsResponse;
import dev.botfleet.proto.v1.CreatePrincipalRequest;
import dev.botfleet.proto.v1.CreatePrincipalResponse;
import dev.botfleet.proto.v1.DeallocateBotsRequest;
import dev.botfleet.proto.v1.MachineServiceGrpc.MachineServiceBlockingStub;
import dev.botfleet.proto.v1.Priority;
import dev.botfleet.proto.v1.Role;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 §2: retryable mutating RPCs take an idempotency_key (AIP-155). A retry returns the first
 * answer and acts once, also when the twins race; the key with another request is refused
 * IDEMPOTENCY_KEY_REUSED; a failed call is not remembered. Once per database.
 */
abstract class IdempotencyContract {
  static final OrchestratorConfig.Timings TIMINGS =
      new OrchestratorConfig.Timings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofMillis(200),
          Duration.ofSeconds(30));

  @TempDir Path dir;
  TestOrchestrator t;
  MachineServiceBlockingStub machines;
  ProtocolAgent agent;
  Fleet fleet;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    fleet = new Fleet(t).prod(10, 10);
    machines = fleet.machines;
    // Eight sessions: room for several bots.
    agent = fleet.agent(Fleet.ENV, "m1", 8);
    fleet.autoAllocation(Fleet.ENV, "m1", false);
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  dev.botfleet.proto.v1.Machine machine() {
    return fleet.machine(Fleet.ENV, "m1");
  }

  static AllocateBotsRequest allocate(int count, String key) {
    return AllocateBotsRequest.newBuilder()
        .setEnvironment("prod")
        .setMachine("m1")
        .setCount(count)
        .setIdempotencyKey(key)
        .build();
  }

  @Test
  void a_retried_allocation_acts_once_and_answers_the_same() {
    AllocateBotsResponse first = machines.allocateBots(allocate(2, "alloc-1"));
    AllocateBotsResponse retry = machines.allocateBots(allocate(2, "alloc-1"));
    assertThat(retry).isEqualTo(first);
    assertThat(machine().getBots()).isEqualTo(2);
    // Without a key every call acts.
    machines.allocateBots(allocate(1, ""));
    machines.allocateBots(allocate(1, ""));
    assertThat(machine().getBots()).isEqualTo(4);
  }

  @Test
  void the_same_key_with_another_request_is_refused_and_changes_nothing() {
    machines.allocateBots(allocate(2, "alloc-2"));
    assertThatThrownBy(() -> machines.allocateBots(allocate(3, "alloc-2")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
              assertThat(GrpcErrors.reason(e)).isEqualTo(ErrorReason.IDEMPOTENCY_KEY_REUSED.name());
            });
    assertThat(machine().getBots()).isEqualTo(2);
    // Keys are per RPC: the same key on DeallocateBots is a new call.
    machines.deallocateBots(
        DeallocateBotsRequest.newBuilder()
            .setEnvironment("prod")
            .setMachine("m1")
            .setCount(1)
            .setIdempotencyKey("alloc-2")
            .build());
    assertThat(machine().getBots()).isEqualTo(1);
  }

  @Test
  void racing_twins_act_once() throws Exception {
    int twins = 6;
    ExecutorService pool = Executors.newFixedThreadPool(twins);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<AllocateBotsResponse>> answers = new ArrayList<>();
      for (int i = 0; i < twins; i++) {
        Callable<AllocateBotsResponse> call =
            () -> {
              go.await();
              return machines.allocateBots(allocate(3, "race"));
            };
        answers.add(pool.submit(call));
      }
      go.countDown();
      List<AllocateBotsResponse> got = new ArrayList<>();
      for (Future<AllocateBotsResponse> f : answers) {
        try {
          got.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          // A twin that lost a race on H2 may be told to retry (ABORTED); never a second act.
          assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
          assertThat(((StatusRuntimeException) e.getCause()).getStatus().getCode())
              .isIn(Status.Code.ABORTED, Status.Code.UNAVAILABLE);
          got.add(machines.allocateBots(allocate(3, "race")));
        }
      }
      assertThat(got).hasSize(twins).allMatch(r -> r.equals(got.get(0)));
    } finally {
      pool.shutdownNow();
    }
    assertThat(machine().getBots()).isEqualTo(3);
  }

  @Test
  void a_failed_call_is_not_remembered() {
    // Nine bots on a machine of eight sessions: refused (P5) ...
    assertThatThrownBy(() -> machines.allocateBots(allocate(9, "too-many")))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(machine().getBots()).isZero();
    // ... and nothing was kept of it: the key is free for another request.
    machines.allocateBots(allocate(1, "too-many"));
    assertThat(machine().getBots()).isEqualTo(1);
  }

  @Test
  void a_retried_principal_creation_returns_the_same_token() {
    var admin = t.admin(AdminServiceGrpc::newBlockingStub);
    CreatePrincipalRequest req =
        CreatePrincipalRequest.newBuilder()
            .setName("ci-bot")
            .setRole(Role.ROLE_SERVICE_ADMIN)
            .setIdempotencyKey("p-1")
            .build();
    CreatePrincipalResponse first = admin.createPrincipal(req);
    CreatePrincipalResponse retry = admin.createPrincipal(req);
    assertThat(retry.getToken()).isEqualTo(first.getToken());
    assertThat(retry.getPrincipal().getId()).isEqualTo(first.getPrincipal().getId());
    // Without the key the name is taken.
    assertThatThrownBy(() -> admin.createPrincipal(req.toBuilder().clearIdempotencyKey().build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));
  }

  @Test
  void keys_are_bounded() {
    assertThatThrownBy(() -> machines.allocateBots(allocate(1, "k".repeat(129))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> machines.allocateBots(allocate(1, "line\nbreak")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(GrpcErrors.reason(e))
                    .isEqualTo(ErrorReason.IDEMPOTENCY_KEY_INVALID.name()));
    assertThat(machine().getBots()).isZero();
  }

  @Test
  void r6_a_run_key_reused_with_any_other_field_is_refused() {
    machines.allocateBots(allocate(1, ""));
    var runs = t.admin(RunServiceGrpc::newBlockingStub);
    SubmitRunRequest req =
        SubmitRunRequest.newBuilder()
            .setEnvironment("prod")
            .setFlow("noop")
            .setTarget(RunTarget.newBuilder().setMachine("m1"))
            .putInputs("a", "1")
            .setIdempotencyKey("run-1")
            .build();
    var first = runs.submitRun(req);
    assertThat(first.getCreated()).isTrue();
    var retry = runs.submitRun(req);
    assertThat(retry.getCreated()).isFalse();
    assertThat(retry.getRun().getId()).isEqualTo(first.getRun().getId());
    for (SubmitRunRequest other :
        List.of(
            req.toBuilder().setPriority(Priority.PRIORITY_HIGH).build(),
            req.toBuilder().putInputs("a", "2").build(),
            req.toBuilder()
                .setQueueTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(60))
                .build(),
            req.toBuilder().setTriggeringFlow("parent").build())) {
      assertThatThrownBy(() -> runs.submitRun(other))
          .as(other.toString())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
                assertThat(GrpcErrors.reason(e))
                    .isEqualTo(ErrorReason.R6_IDEMPOTENCY_KEY_REUSED.name());
              });
    }
  }
}
