package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.RetryInfo;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.admin.Refusals;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.store.Jdbc;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.AuditEvent;
import dev.botfleet.proto.v1.CancelRunRequest;
import dev.botfleet.proto.v1.CapacityServiceGrpc;
import dev.botfleet.proto.v1.CreatePrincipalRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.FlowServiceGrpc;
import dev.botfleet.proto.v1.GetCapacitySummaryRequest;
import dev.botfleet.proto.v1.GetEnvironmentRequest;
import dev.botfleet.proto.v1.GetMachineRequest;
import dev.botfleet.proto.v1.GetProcessUtilizationRequest;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.GetTenantSettingsRequest;
import dev.botfleet.proto.v1.GetUsageRequest;
import dev.botfleet.proto.v1.LicensingServiceGrpc;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.ListEnvironmentsRequest;
import dev.botfleet.proto.v1.ListFlowsRequest;
import dev.botfleet.proto.v1.ListMachinesRequest;
import dev.botfleet.proto.v1.ListPrincipalsRequest;
import dev.botfleet.proto.v1.ListPurchasesRequest;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.ListUsersRequest;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import dev.botfleet.proto.v1.MeteringServiceGrpc;
import dev.botfleet.proto.v1.RoleGrant;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunServiceGrpc.RunServiceBlockingStub;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.proto.v1.SubmitRunResponse;
import dev.botfleet.proto.v1.WhoAmIRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 §2 (O4): authorization follows the roles. Reads are scoped like writes, makers are bound
 * to environments, run idempotency keys are per environment, refusals are audited (aggregated) and
 * failed authentication is throttled, the audit log is append-only, and a change whose audit row
 * cannot be written does not happen. Through real stubs, once per database.
 */
abstract class AuthorizationContract {
  @TempDir Path dir;
  TestOrchestrator t;
  Fleet fleet;
  String prodRun;
  String devRun;

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
    fleet.agent("prod", "m1", 2);
    fleet.agent("dev", "d1", 2);
    fleet.bots("prod", "m1", 1).bots("dev", "d1", 1);
    prodRun = submit(fleet.runs, "prod", "m1", "").getRun().getId();
    devRun = submit(fleet.runs, "dev", "d1", "").getRun().getId();
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  static SubmitRunResponse submit(
      RunServiceBlockingStub runs, String env, String machine, String key) {
    return runs.submitRun(
        SubmitRunRequest.newBuilder()
            .setEnvironment(env)
            .setFlow("noop")
            .setTarget(RunTarget.newBuilder().setMachine(machine))
            .putAllInputs(Map.of("secret", "input-of-" + env))
            .setIdempotencyKey(key)
            .build());
  }

  static StatusRuntimeException refused(ThrowingCallable call) {
    try {
      call.call();
    } catch (StatusRuntimeException e) {
      return e;
    } catch (Throwable e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a refusal");
  }

  static void assertRefused(ThrowingCallable call, Status.Code code, ErrorReason reason) {
    StatusRuntimeException e = refused(call);
    assertThat(e.getStatus().getCode()).as(e.getMessage()).isEqualTo(code);
    assertThat(GrpcErrors.reason(e)).isEqualTo(reason.name());
  }

  static GetRunRequest get(String id) {
    return GetRunRequest.newBuilder().setRunId(id).build();
  }

  static ListRunsRequest list(String env) {
    return ListRunsRequest.newBuilder().setEnvironment(env).build();
  }

  List<AuditEvent> audit(String prefix) {
    return t.admin(AdminServiceGrpc::newBlockingStub)
        .listAuditEvents(ListAuditEventsRequest.newBuilder().setActionPrefix(prefix).build())
        .getEventsList();
  }

  // ------------------------------------------------------------------ reads

  @Test
  void issue_12_environment_admin_reads_only_its_environment_runs() {
    var runs =
        t.as(t.principal("pat", Role.ENVIRONMENT_ADMIN, "prod"), RunServiceGrpc::newBlockingStub);

    assertThat(runs.listRuns(list("prod")).getRunsList())
        .singleElement()
        .satisfies(r -> assertThat(r.getInputsMap()).containsEntry("secret", "input-of-prod"));
    assertThat(runs.getRun(get(prodRun)).getRun().getInputsMap())
        .containsEntry("secret", "input-of-prod");

    assertRefused(
        () -> runs.listRuns(list("dev")),
        Status.Code.PERMISSION_DENIED,
        ErrorReason.O4_ENVIRONMENT_ROLE_REQUIRED);
    // A run of another environment answers exactly like a run that does not exist.
    StatusRuntimeException other = refused(() -> runs.getRun(get(devRun)));
    StatusRuntimeException none = refused(() -> runs.getRun(get("run_nope")));
    assertThat(other.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcErrors.reason(other)).isEqualTo(ErrorReason.RUN_NOT_FOUND.name());
    assertThat(other.getStatus().getDescription())
        .isEqualTo(none.getStatus().getDescription().replace("run_nope", devRun))
        .doesNotContain("input-of-dev");
    assertRefused(
        () -> runs.cancelRun(CancelRunRequest.newBuilder().setRunId(devRun).build()),
        Status.Code.NOT_FOUND,
        ErrorReason.RUN_NOT_FOUND);
  }

  @Test
  void issue_12_environment_admin_reads_only_its_environment_machines_usage_and_utilization() {
    String token = t.principal("pat", Role.ENVIRONMENT_ADMIN, "prod");
    var machines = t.as(token, MachineServiceGrpc::newBlockingStub);
    var metering = t.as(token, MeteringServiceGrpc::newBlockingStub);
    var envs = t.as(token, EnvironmentServiceGrpc::newBlockingStub);
    var flows = t.as(token, FlowServiceGrpc::newBlockingStub);

    assertThat(
            machines
                .listMachines(ListMachinesRequest.newBuilder().setEnvironment("prod").build())
                .getMachinesList())
        .extracting(dev.botfleet.proto.v1.Machine::getName)
        .containsExactly("m1");
    assertThat(
            machines
                .getProcessUtilization(
                    GetProcessUtilizationRequest.newBuilder().setEnvironment("prod").build())
                .getPool())
        .isEqualTo(2);
    metering.getUsage(GetUsageRequest.newBuilder().setAllInEnvironment("prod").build());

    for (ThrowingCallable call :
        List.<ThrowingCallable>of(
            () ->
                machines.listMachines(
                    ListMachinesRequest.newBuilder().setEnvironment("dev").build()),
            () ->
                machines.getMachine(
                    GetMachineRequest.newBuilder().setEnvironment("dev").setMachine("d1").build()),
            () ->
                machines.getProcessUtilization(
                    GetProcessUtilizationRequest.newBuilder().setEnvironment("dev").build()),
            () ->
                metering.getUsage(GetUsageRequest.newBuilder().setAllInEnvironment("dev").build()),
            () -> flows.listFlows(ListFlowsRequest.newBuilder().setEnvironment("dev").build()),
            () -> envs.getEnvironment(GetEnvironmentRequest.newBuilder().setName("dev").build()))) {
      assertRefused(call, Status.Code.PERMISSION_DENIED, ErrorReason.O4_ENVIRONMENT_ROLE_REQUIRED);
    }
    // A list over environments silently leaves out those the caller may not read.
    assertThat(
            envs.listEnvironments(ListEnvironmentsRequest.getDefaultInstance())
                .getEnvironmentsList())
        .extracting(dev.botfleet.proto.v1.Environment::getName)
        .containsExactly("prod");
  }

  @Test
  void issue_12_tenant_wide_reads_need_a_tenant_admin() {
    for (String token :
        List.of(
            t.principal("pat", Role.ENVIRONMENT_ADMIN, "prod"),
            t.principal("mo", Role.MAKER, "prod"))) {
      var capacity = t.as(token, CapacityServiceGrpc::newBlockingStub);
      var admin = t.as(token, AdminServiceGrpc::newBlockingStub);
      var licensing = t.as(token, LicensingServiceGrpc::newBlockingStub);
      for (ThrowingCallable call :
          List.<ThrowingCallable>of(
              () -> capacity.getCapacitySummary(GetCapacitySummaryRequest.getDefaultInstance()),
              () -> capacity.listPurchases(ListPurchasesRequest.getDefaultInstance()),
              () -> admin.listAuditEvents(ListAuditEventsRequest.getDefaultInstance()),
              () -> admin.listPrincipals(ListPrincipalsRequest.getDefaultInstance()),
              () -> admin.getTenantSettings(GetTenantSettingsRequest.getDefaultInstance()),
              () -> licensing.listUsers(ListUsersRequest.getDefaultInstance()))) {
        assertRefused(call, Status.Code.PERMISSION_DENIED, ErrorReason.ROLE_REQUIRED);
      }
      // Who am I stays open to every principal.
      assertThat(admin.whoAmI(WhoAmIRequest.getDefaultInstance()).getPrincipal().getRolesList())
          .extracting(RoleGrant::getEnvironment)
          .containsExactly("prod");
    }
    String service = t.principal("sam", Role.SERVICE_ADMIN, null);
    assertThat(
            t.as(service, CapacityServiceGrpc::newBlockingStub)
                .getCapacitySummary(GetCapacitySummaryRequest.getDefaultInstance())
                .getEnvironmentsList())
        .hasSize(2);
    t.as(service, AdminServiceGrpc::newBlockingStub)
        .listAuditEvents(ListAuditEventsRequest.getDefaultInstance());
  }

  // ------------------------------------------------------------------ makers

  @Test
  void issue_12_a_maker_is_granted_per_environment_and_several_are_allowed() {
    var admin = t.admin(AdminServiceGrpc::newBlockingStub);
    var created =
        admin.createPrincipal(
            CreatePrincipalRequest.newBuilder()
                .setName("mo")
                .setRole(dev.botfleet.proto.v1.Role.ROLE_MAKER)
                .setEnvironment("prod")
                .addEnvironments("dev")
                .addEnvironments("prod")
                .build());
    assertThat(created.getPrincipal().getRolesList())
        .extracting(RoleGrant::getRole, RoleGrant::getEnvironment)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(dev.botfleet.proto.v1.Role.ROLE_MAKER, "prod"),
            org.assertj.core.groups.Tuple.tuple(dev.botfleet.proto.v1.Role.ROLE_MAKER, "dev"));
    var both = t.as(created.getToken(), RunServiceGrpc::newBlockingStub);
    assertThat(both.listRuns(list("dev")).getRunsList()).hasSize(1);

    assertRefused(
        () ->
            admin.createPrincipal(
                CreatePrincipalRequest.newBuilder()
                    .setName("nowhere")
                    .setRole(dev.botfleet.proto.v1.Role.ROLE_MAKER)
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        ErrorReason.ENVIRONMENT_REQUIRED);
    assertRefused(
        () ->
            admin.createPrincipal(
                CreatePrincipalRequest.newBuilder()
                    .setName("g2")
                    .setRole(dev.botfleet.proto.v1.Role.ROLE_GLOBAL_ADMIN)
                    .addEnvironments("prod")
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        ErrorReason.ENVIRONMENT_NOT_ALLOWED);
  }

  @Test
  void issue_12_a_maker_submits_cancels_and_reads_runs_only_in_its_environments() {
    var runs = t.as(t.principal("mo", Role.MAKER, "prod"), RunServiceGrpc::newBlockingStub);

    String mine = submit(runs, "prod", "m1", "").getRun().getId();
    assertThat(runs.getRun(get(mine)).getRun().getInputsMap())
        .containsEntry("secret", "input-of-prod");
    assertThat(runs.listRuns(list("prod")).getRunsList()).hasSize(2);
    runs.cancelRun(CancelRunRequest.newBuilder().setRunId(mine).build());

    assertRefused(
        () -> submit(runs, "dev", "d1", ""),
        Status.Code.PERMISSION_DENIED,
        ErrorReason.MAKER_REQUIRED);
    assertRefused(() -> runs.getRun(get(devRun)), Status.Code.NOT_FOUND, ErrorReason.RUN_NOT_FOUND);
    assertRefused(
        () -> runs.cancelRun(CancelRunRequest.newBuilder().setRunId(devRun).build()),
        Status.Code.NOT_FOUND,
        ErrorReason.RUN_NOT_FOUND);
    assertRefused(
        () -> runs.listRuns(list("dev")),
        Status.Code.PERMISSION_DENIED,
        ErrorReason.O4_ENVIRONMENT_ROLE_REQUIRED);
  }

  // ------------------------------------------------------------------ idempotency keys

  @Test
  void issue_12_run_idempotency_keys_are_scoped_to_the_environment() {
    var first = submit(fleet.runs, "prod", "m1", "nightly");
    // The same key with another request in another environment is another key: a new run, and
    // nothing of the first run comes back.
    var other = submit(fleet.runs, "dev", "d1", "nightly");
    assertThat(other.getCreated()).isTrue();
    assertThat(other.getRun().getId()).isNotEqualTo(first.getRun().getId());
    assertThat(other.getRun().getEnvironment()).isEqualTo("dev");
    // Within its environment the key still answers the first run (R6).
    var retry = submit(fleet.runs, "prod", "m1", "nightly");
    assertThat(retry.getCreated()).isFalse();
    assertThat(retry.getRun().getId()).isEqualTo(first.getRun().getId());
  }

  // ------------------------------------------------------------------ refusals

  @Test
  void issue_12_every_refusal_is_audited_once_per_minute_with_a_count() {
    String badToken = "bfp_guessedTokenThatIsLong";
    for (int i = 0; i < 5; i++) {
      refused(
          () ->
              t.as(badToken, AdminServiceGrpc::newBlockingStub)
                  .whoAmI(WhoAmIRequest.getDefaultInstance()));
    }
    var pat =
        t.as(t.principal("pat", Role.ENVIRONMENT_ADMIN, "prod"), RunServiceGrpc::newBlockingStub);
    for (int i = 0; i < 3; i++) {
      refused(() -> pat.listRuns(list("dev")));
    }
    t.orchestrator.refusals.flushAll();

    assertThat(audit(Refusals.AUTHENTICATION))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getActor()).isEqualTo("token:bfp_gues…");
              assertThat(e.getTarget())
                  .contains("method=botfleet.v1.AdminService/WhoAmI")
                  .contains("source=");
              assertThat(e.getAfter())
                  .isEqualTo("reason=" + ErrorReason.UNAUTHENTICATED_BAD_TOKEN + " count=5");
              assertThat(e.toString()).doesNotContain(badToken);
            });
    assertThat(audit(Refusals.PERMISSION))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getActor()).isEqualTo("pat");
              assertThat(e.getTarget()).contains("method=botfleet.v1.RunService/ListRuns");
              assertThat(e.getAfter())
                  .isEqualTo("reason=" + ErrorReason.O4_ENVIRONMENT_ROLE_REQUIRED + " count=3");
            });

    // A new minute is a new row; a window that has not closed is not written by the periodic flush.
    refused(
        () ->
            t.anonymous(AdminServiceGrpc::newBlockingStub)
                .whoAmI(WhoAmIRequest.getDefaultInstance()));
    t.orchestrator.refusals.flush();
    assertThat(audit(Refusals.AUTHENTICATION)).hasSize(1);
    t.clock.advance(Duration.ofSeconds(61));
    t.orchestrator.refusals.flush();
    assertThat(audit(Refusals.AUTHENTICATION))
        .hasSize(2)
        .first()
        .satisfies(
            e -> {
              assertThat(e.getActor()).isEqualTo("anonymous");
              assertThat(e.getAfter())
                  .isEqualTo("reason=" + ErrorReason.UNAUTHENTICATED_NO_TOKEN + " count=1");
            });
  }

  @Test
  void issue_12_failed_authentication_is_rate_limited_per_source_with_a_retry_hint() {
    for (int i = 0; i < AuthThrottle.DEFAULT_MAX_FAILURES; i++) {
      String wrong = "bfp_wrong" + i;
      assertThat(
              refused(
                      () ->
                          t.as(wrong, AdminServiceGrpc::newBlockingStub)
                              .whoAmI(WhoAmIRequest.getDefaultInstance()))
                  .getStatus()
                  .getCode())
          .isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    // Now even a good token from that source is refused at once, with when to retry.
    StatusRuntimeException e =
        refused(
            () ->
                t.admin(AdminServiceGrpc::newBlockingStub)
                    .whoAmI(WhoAmIRequest.getDefaultInstance()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(GrpcErrors.reason(e)).isEqualTo(ErrorReason.O4_AUTHENTICATION_THROTTLED.name());
    var retry =
        StatusProto.fromThrowable(e).getDetailsList().stream()
            .filter(d -> d.is(RetryInfo.class))
            .findFirst()
            .orElseThrow();
    assertThat(retry.toString()).isNotEmpty();

    t.clock.advance(Duration.ofSeconds(61));
    assertThat(
            t.admin(AdminServiceGrpc::newBlockingStub)
                .whoAmI(WhoAmIRequest.getDefaultInstance())
                .getPrincipal()
                .getName())
        .isEqualTo("admin");
    t.orchestrator.refusals.flushAll();
    assertThat(audit(Refusals.AUTHENTICATION))
        .extracting(AuditEvent::getAfter)
        .contains("reason=" + ErrorReason.O4_AUTHENTICATION_THROTTLED + " count=1");
  }

  @Test
  void issue_12_guessed_join_tokens_are_throttled_per_source_like_bad_bearer_tokens() {
    var agents = t.as("unused", dev.botfleet.proto.v1.AgentServiceGrpc::newBlockingStub);
    for (int i = 0; i < AuthThrottle.DEFAULT_MAX_FAILURES; i++) {
      String guess = "bfj_guess" + i;
      assertThat(
              refused(
                      () ->
                          agents.enroll(
                              dev.botfleet.proto.v1.EnrollRequest.newBuilder()
                                  .setJoinToken(guess)
                                  .setCapacity(
                                      dev.botfleet.proto.v1.MachineCapacity.newBuilder()
                                          .setHostname("h")
                                          .setMaxSessions(1))
                                  .build()))
                  .getStatus()
                  .getCode())
          .isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    StatusRuntimeException e =
        refused(
            () ->
                t.admin(AdminServiceGrpc::newBlockingStub)
                    .whoAmI(WhoAmIRequest.getDefaultInstance()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(GrpcErrors.reason(e)).isEqualTo(ErrorReason.O4_AUTHENTICATION_THROTTLED.name());
  }

  // ------------------------------------------------------------------ the audit log

  @Test
  void issue_12_the_audit_log_refuses_update_and_delete() {
    Jdbc jdbc = new Jdbc(t.orchestrator.tx);
    assertThat(audit("")).isNotEmpty();
    assertThatThrownBy(
            () ->
                t.orchestrator.tx.run(
                    () -> jdbc.update("UPDATE audit_event SET actor = 'someone'")))
        .hasStackTraceContaining("append-only");
    assertThatThrownBy(() -> t.orchestrator.tx.run(() -> jdbc.update("DELETE FROM audit_event")))
        .hasStackTraceContaining("append-only");
    assertThat(audit("")).extracting(AuditEvent::getActor).doesNotContain("someone").isNotEmpty();
  }

  @Test
  void issue_12_a_change_whose_audit_row_cannot_be_written_does_not_happen() {
    Jdbc jdbc = new Jdbc(t.orchestrator.tx);
    fleet.environment("qa", EnvironmentType.ENVIRONMENT_TYPE_SANDBOX).purchase(Sku.SKU_PROCESS, 1);
    // Make the audit insert of one allocation fail, as a full disk or a broken constraint would.
    t.orchestrator.tx.run(
        () ->
            jdbc.update(
                "ALTER TABLE audit_event ADD CONSTRAINT test_refuses_qa"
                    + " CHECK (target <> 'environment=qa sku=PROCESS')"));
    var capacity = t.admin(CapacityServiceGrpc::newBlockingStub);
    StatusRuntimeException e =
        refused(
            () ->
                capacity.setAllocation(
                    SetAllocationRequest.newBuilder()
                        .setEnvironment("qa")
                        .setSku(Sku.SKU_PROCESS)
                        .setQuantity(1)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    var qa =
        capacity
            .getCapacitySummary(GetCapacitySummaryRequest.getDefaultInstance())
            .getEnvironmentsList()
            .stream()
            .filter(x -> x.getEnvironment().getName().equals("qa"))
            .findFirst()
            .orElseThrow();
    assertThat(qa.getUsageList())
        .filteredOn(u -> u.getSku() == Sku.SKU_PROCESS)
        .allSatisfy(u -> assertThat(u.getAllocated()).isZero());
    assertThat(audit("capacity.allocate"))
        .extracting(AuditEvent::getTarget)
        .doesNotContain("environment=qa sku=PROCESS");
  }
}
