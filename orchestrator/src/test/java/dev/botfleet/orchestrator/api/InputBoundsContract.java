package dev.botfleet.orchestrator.api;

import static dev.botfleet.testing.BearerToken.bearer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.CapacityServiceGrpc.CapacityServiceBlockingStub;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.GetCapacitySummaryRequest;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.Hello;
import dev.botfleet.proto.v1.ListEnvironmentsRequest;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.MachineServiceGrpc.MachineServiceBlockingStub;
import dev.botfleet.proto.v1.OrchestratorMessage;
import dev.botfleet.proto.v1.RunServiceGrpc.RunServiceBlockingStub;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.SetDesktopFlowRequest;
import dev.botfleet.proto.v1.SetMaintenanceRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SkuSummary;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 ("defects an outside client found"), input bounds: every regression goes through the raw
 * generated stubs (or raw bytes) over a real channel to a real orchestrator, once per database.
 */
abstract class InputBoundsContract {
  static final OrchestratorConfig.Timings TIMINGS =
      new OrchestratorConfig.Timings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofMillis(200),
          Duration.ofSeconds(30));

  @TempDir Path dir;
  TestOrchestrator t;
  RunServiceBlockingStub runs;
  MachineServiceBlockingStub machines;
  CapacityServiceBlockingStub capacity;
  ProtocolAgent agent;
  Fleet fleet;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    fleet = new Fleet(t).prod(10, 4);
    runs = fleet.runs;
    machines = fleet.machines;
    capacity = fleet.capacity;
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  ProtocolAgent agent(String name, int bots) {
    agent = fleet.agent(Fleet.ENV, name, bots);
    fleet.autoAllocation(Fleet.ENV, name, false).bots(Fleet.ENV, name, bots);
    return agent;
  }

  SubmitRunRequest.Builder submit(String machine) {
    return SubmitRunRequest.newBuilder()
        .setEnvironment("prod")
        .setFlow("noop")
        .setTarget(RunTarget.newBuilder().setMachine(machine));
  }

  dev.botfleet.proto.v1.Run run(String id) {
    return runs.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getRun();
  }

  static StatusRuntimeException refused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to be refused");
  }

  static void assertInvalid(StatusRuntimeException e, ErrorReason reason) {
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcErrors.reason(e)).isEqualTo(reason.name());
  }

  /**
   * Bytes of every trailer the client receives: the status description and the ErrorInfo details.
   */
  static int trailerBytes(StatusRuntimeException e) {
    int n =
        e.getStatus().getDescription() == null
            ? 0
            : e.getStatus().getDescription().getBytes(StandardCharsets.UTF_8).length;
    Metadata trailers = e.getTrailers();
    if (trailers != null) {
      for (String key : trailers.keys()) {
        n +=
            key.endsWith(Metadata.BINARY_HEADER_SUFFIX)
                ? trailers.get(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER)).length
                : trailers.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)).length();
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ numbers

  @Test
  void issue_7_r10_a_huge_run_time_out_is_refused_and_other_runs_still_dispatch() {
    ProtocolAgent a = agent("m1", 1);
    var e =
        refused(
            () ->
                runs.submitRun(
                    submit("m1")
                        .setRunTimeout(
                            com.google.protobuf.Duration.newBuilder().setSeconds(Long.MAX_VALUE))
                        .build()));
    assertInvalid(e, ErrorReason.R10_TIMEOUT);
    assertThat(e.getStatus().getDescription())
        .contains("run_timeout")
        .contains("expected: 0 to 2592000 seconds");
    String ok = runs.submitRun(submit("m1").build()).getRun().getId();
    await().until(() -> a.assignedRunIds().contains(ok));
  }

  @Test
  void
      issue_7_r10_huge_queue_time_out_and_desktop_flow_default_are_invalid_argument_not_internal() {
    assertInvalid(
        refused(
            () ->
                runs.submitRun(
                    submit("m1")
                        .setQueueTimeout(
                            com.google.protobuf.Duration.newBuilder().setSeconds(Long.MAX_VALUE))
                        .build())),
        ErrorReason.R10_TIMEOUT);
    assertInvalid(
        refused(
            () ->
                runs.submitRun(
                    submit("m1")
                        .setQueueTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(-1))
                        .build())),
        ErrorReason.R10_TIMEOUT);
    assertInvalid(
        refused(
            () ->
                runs.setDesktopFlow(
                    SetDesktopFlowRequest.newBuilder()
                        .setEnvironment("prod")
                        .setName("noop")
                        .setQueueTimeout(
                            com.google.protobuf.Duration.newBuilder().setSeconds(Long.MAX_VALUE))
                        .build())),
        ErrorReason.R10_TIMEOUT);
    assertInvalid(
        refused(
            () ->
                runs.setDesktopFlow(
                    SetDesktopFlowRequest.newBuilder()
                        .setEnvironment("prod")
                        .setName("noop")
                        .setRunTimeout(
                            com.google.protobuf.Duration.newBuilder().setSeconds(Long.MAX_VALUE))
                        .build())),
        ErrorReason.R10_TIMEOUT);
    assertInvalid(
        refused(
            () ->
                runs.listRuns(
                    ListRunsRequest.newBuilder()
                        .setEnvironment("prod")
                        .setPageSize(1_000_000)
                        .build())),
        RequestLimits.OUT_OF_RANGE);
  }

  @Test
  void
      issue_7_r10_a_desktop_flow_default_stored_before_the_bound_is_used_as_the_bound_not_internal()
          throws Exception {
    agent("m1", 1);
    runs.setDesktopFlow(
        SetDesktopFlowRequest.newBuilder().setEnvironment("prod").setName("noop").build());
    // No API path can store such a default any more; rows from before the bound can hold one.
    try (Connection c = t.orchestrator.database.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE desktop_flow SET queue_timeout_s = ?, run_timeout_s = ? WHERE name = 'noop'")) {
      ps.setLong(1, Long.MAX_VALUE);
      ps.setLong(2, Long.MAX_VALUE);
      assertThat(ps.executeUpdate()).isEqualTo(1);
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
    // Desktop-flow defaults are cached for a few seconds; a fresh flow name would not be.
    t.clock.advance(Duration.ofMinutes(1));
    var run = runs.submitRun(submit("m1").build()).getRun();
    assertThat(run.getQueueTimeout().getSeconds()).isEqualTo(RequestLimits.MAX_TIMEOUT_SECONDS);
    assertThat(run.getRunTimeout().getSeconds()).isEqualTo(RequestLimits.MAX_TIMEOUT_SECONDS);
  }

  @Test
  void issue_7_r9_a_stored_absurd_time_out_fails_that_run_alone_and_the_next_run_is_dispatched()
      throws Exception {
    ProtocolAgent a = agent("m1", 1);
    machines.setMaintenance(
        SetMaintenanceRequest.newBuilder()
            .setEnvironment("prod")
            .setMachine("m1")
            .setEnabled(true)
            .build());
    String absurd = runs.submitRun(submit("m1").build()).getRun().getId();
    t.clock.advance(Duration.ofMillis(5));
    String next = runs.submitRun(submit("m1").build()).getRun().getId();
    // No API path can store such a time-out any more; rows from before the bound can hold one.
    try (Connection c = t.orchestrator.database.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE run SET run_timeout_s = ? WHERE id = ?")) {
      ps.setLong(1, Long.MAX_VALUE);
      ps.setString(2, absurd);
      assertThat(ps.executeUpdate()).isEqualTo(1);
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
    // Such a row predates this orchestrator: the dispatcher's copy of the queue (issue 9) holds
    // runs as they were submitted, and reads rows changed behind its back at its next reload,
    // which the sweeper triggers every few sweeps (and every start does).
    t.orchestrator.dispatcher.reloadAll();
    machines.setMaintenance(
        SetMaintenanceRequest.newBuilder()
            .setEnvironment("prod")
            .setMachine("m1")
            .setEnabled(false)
            .build());
    await().until(() -> a.assignedRunIds().contains(next));
    var failed = run(absurd);
    assertThat(failed.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(failed.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_DISPATCH_FAILED);
    assertThat(failed.getMessage()).contains("cannot be dispatched");
    assertThat(a.assignedRunIds()).doesNotContain(absurd);
  }

  @Test
  void issue_7_c1_a_purchase_that_would_overflow_is_refused_and_capacity_is_unchanged()
      throws Exception {
    long before = purchased(Sku.SKU_PROCESS);
    for (int i = 0; i < 2; i++) {
      var e =
          refused(
              () ->
                  capacity.createPurchase(
                      CreatePurchaseRequest.newBuilder()
                          .setSku(Sku.SKU_PROCESS)
                          .setQuantity(Long.MAX_VALUE)
                          .build()));
      assertInvalid(e, ErrorReason.C1_QUANTITY);
    }
    assertThat(purchased(Sku.SKU_PROCESS)).isEqualTo(before);
    assertThat(purchased(Sku.SKU_PROCESS)).isEqualTo(10);

    // A row stored before the bound: sums saturate, and a purchase past the cap is refused with a
    // reason.
    try (Connection c = t.orchestrator.database.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE purchase SET quantity = ? WHERE sku = 'PROCESS'")) {
      ps.setLong(1, Long.MAX_VALUE - 5);
      assertThat(ps.executeUpdate()).isEqualTo(1);
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
    var e =
        refused(
            () ->
                capacity.createPurchase(
                    CreatePurchaseRequest.newBuilder()
                        .setSku(Sku.SKU_PROCESS)
                        .setQuantity(10)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcErrors.reason(e)).isEqualTo("C1_PURCHASE_LIMIT");
    assertThat(purchased(Sku.SKU_PROCESS)).isEqualTo(Long.MAX_VALUE - 5);
    // Allocation still works on the frozen-looking SKU: nothing wrapped negative.
    capacity.setAllocation(
        SetAllocationRequest.newBuilder()
            .setEnvironment("prod")
            .setSku(Sku.SKU_PROCESS)
            .setQuantity(5)
            .build());
  }

  long purchased(Sku sku) {
    return capacity
        .getCapacitySummary(GetCapacitySummaryRequest.getDefaultInstance())
        .getSkusList()
        .stream()
        .filter(s -> s.getSku() == sku)
        .mapToLong(SkuSummary::getPurchased)
        .findFirst()
        .orElse(0);
  }

  // ------------------------------------------------------------------ strings

  @Test
  void issue_7_a_100_kb_name_answers_invalid_argument_promptly_with_short_trailers() {
    String huge = "n".repeat(100 * 1024);
    var e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () ->
                refused(
                    () ->
                        t.admin(EnvironmentServiceGrpc::newBlockingStub)
                            .createEnvironment(
                                CreateEnvironmentRequest.newBuilder()
                                    .setName(huge)
                                    .setType(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX)
                                    .build())));
    assertInvalid(e, RequestLimits.TOO_LONG);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("name: 102400 characters (expected: at most 256)");
    assertThat(trailerBytes(e)).isLessThan(1024);

    var id = refused(() -> runs.getRun(GetRunRequest.newBuilder().setRunId(huge).build()));
    assertInvalid(id, RequestLimits.TOO_LONG);
    assertThat(trailerBytes(id)).isLessThan(1024);

    var input =
        refused(() -> runs.submitRun(submit("m1").putInputs("k", "v".repeat(70_000)).build()));
    assertInvalid(input, RequestLimits.TOO_LONG);
    assertThat(input.getStatus().getDescription()).startsWith("inputs.value: 70000 characters");
  }

  @Test
  void issue_7_error_descriptions_are_clipped_to_1_kib_as_a_last_line_of_defence() {
    var e = GrpcErrors.build(ErrorReason.RUN_NOT_FOUND, "x".repeat(100_000));
    assertThat(e.getStatus().getDescription()).hasSizeLessThanOrEqualTo(GrpcErrors.MAX_DESCRIPTION);
    assertThat(StatusProto.fromThrowable(e).getMessage())
        .hasSizeLessThanOrEqualTo(GrpcErrors.MAX_DESCRIPTION);
  }

  @Test
  void issue_7_a_100_kb_credential_on_the_agent_stream_closes_it_invalid_argument()
      throws Exception {
    CompletableFuture<Throwable> closed = new CompletableFuture<>();
    StreamObserver<AgentMessage> up =
        AgentServiceGrpc.newStub(t.channel())
            .connect(
                new StreamObserver<OrchestratorMessage>() {
                  @Override
                  public void onNext(OrchestratorMessage value) {}

                  @Override
                  public void onError(Throwable error) {
                    closed.complete(error);
                  }

                  @Override
                  public void onCompleted() {
                    closed.complete(null);
                  }
                });
    up.onNext(
        AgentMessage.newBuilder()
            .setHello(
                Hello.newBuilder().setMachineId("mach_x").setCredential("c".repeat(100 * 1024)))
            .build());
    Throwable error = closed.get(10, TimeUnit.SECONDS);
    assertThat(error).isInstanceOf(StatusRuntimeException.class);
    assertInvalid((StatusRuntimeException) error, RequestLimits.TOO_LONG);
    assertThat(((StatusRuntimeException) error).getStatus().getDescription())
        .startsWith("hello.credential: 102400 characters");
  }

  // ------------------------------------------------------------------ enums and bytes

  @Test
  void issue_7_an_unknown_enum_value_is_invalid_argument() {
    var list =
        refused(
            () ->
                runs.listRuns(
                    ListRunsRequest.newBuilder().setEnvironment("prod").setStateValue(42).build()));
    assertInvalid(list, RequestLimits.UNKNOWN_ENUM);
    assertThat(list.getStatus().getDescription()).startsWith("state: unknown value 42");
    var submit = refused(() -> runs.submitRun(submit("m1").setPriorityValue(9).build()));
    assertInvalid(submit, RequestLimits.UNKNOWN_ENUM);
    var env =
        refused(
            () ->
                t.admin(EnvironmentServiceGrpc::newBlockingStub)
                    .createEnvironment(
                        CreateEnvironmentRequest.newBuilder()
                            .setName("x")
                            .setTypeValue(77)
                            .build()));
    assertInvalid(env, RequestLimits.UNKNOWN_ENUM);
  }

  @Test
  void issue_7_malformed_request_bytes_are_invalid_argument_not_unknown() {
    // Wire type 7 does not exist.
    var garbage =
        refused(
            () ->
                raw(
                    "botfleet.v1.EnvironmentService/ListEnvironments",
                    new byte[] {0x0f, 0x01, 0x02},
                    true));
    assertInvalid(garbage, RequestLimits.MALFORMED);
    assertThat(garbage.getStatus().getDescription()).contains("ListEnvironmentsRequest");
    // A proto3 string that is not UTF-8.
    var utf8 =
        refused(
            () ->
                raw(
                    "botfleet.v1.EnvironmentService/CreateEnvironment",
                    new byte[] {0x0a, 0x02, (byte) 0xc3, 0x28},
                    true));
    assertInvalid(utf8, RequestLimits.MALFORMED);
    // The open agent service too.
    var enroll =
        refused(() -> raw("botfleet.v1.AgentService/Enroll", new byte[] {0x0a, 0x7f, 0x01}, false));
    assertInvalid(enroll, RequestLimits.MALFORMED);
    // Unauthenticated garbage is refused by auth first.
    var anonymous =
        refused(
            () -> raw("botfleet.v1.EnvironmentService/ListEnvironments", new byte[] {0x0f}, false));
    assertThat(anonymous.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    // And a well-formed call on the same method still works.
    assertThat(
            t.admin(EnvironmentServiceGrpc::newBlockingStub)
                .listEnvironments(ListEnvironmentsRequest.getDefaultInstance())
                .getEnvironmentsCount())
        .isEqualTo(1);
  }

  void raw(String method, byte[] body, boolean authenticated) {
    MethodDescriptor<byte[], byte[]> md =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(method)
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    if (authenticated) {
      options = options.withCallCredentials(bearer(t.adminToken));
    }
    ClientCalls.blockingUnaryCall(t.channel(), md, options, body);
  }

  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  @Test
  void issue_7_guarded_services_are_still_described_by_server_reflection() throws Exception {
    CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> answer =
        new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> ask =
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(t.channel())
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
                    answer.complete(value);
                  }

                  @Override
                  public void onError(Throwable error) {
                    answer.completeExceptionally(error);
                  }

                  @Override
                  public void onCompleted() {}
                });
    ask.onNext(
        io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
            .setFileContainingSymbol("botfleet.v1.RunService")
            .build());
    var response = answer.get(10, TimeUnit.SECONDS);
    ask.onCompleted();
    assertThat(response.getFileDescriptorResponse().getFileDescriptorProtoCount()).isPositive();
  }
}
