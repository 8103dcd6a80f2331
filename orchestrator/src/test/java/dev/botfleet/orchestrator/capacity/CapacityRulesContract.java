package dev.botfleet.orchestrator.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import dev.botfleet.proto.v1.CapacityAllocationMode;
import dev.botfleet.proto.v1.CapacityServiceGrpc;
import dev.botfleet.proto.v1.CapacityServiceGrpc.CapacityServiceBlockingStub;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.ExtendTrialRequest;
import dev.botfleet.proto.v1.GetCapacitySummaryRequest;
import dev.botfleet.proto.v1.GetCapacitySummaryResponse;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.ShareAppRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.UpdateTenantSettingsRequest;
import dev.botfleet.proto.v1.WhoAmIRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capacity add-on rules (C1–C8, L6) through the real gRPC API, run once per database (H2 and
 * PostgreSQL subclasses), so the store behaves the same on both.
 */
abstract class CapacityRulesContract {
  @TempDir Path dir;
  TestOrchestrator t;
  CapacityServiceBlockingStub capacity;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    capacity = t.admin(CapacityServiceGrpc::newBlockingStub);
    env("prod", EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION);
    env("dev", EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
  }

  @AfterEach
  void tearDown() {
    t.close();
  }

  void env(String name, EnvironmentType type) {
    t.admin(EnvironmentServiceGrpc::newBlockingStub)
        .createEnvironment(
            CreateEnvironmentRequest.newBuilder().setName(name).setType(type).build());
  }

  dev.botfleet.proto.v1.Purchase purchase(Sku sku, long quantity, boolean trial) {
    return capacity
        .createPurchase(
            CreatePurchaseRequest.newBuilder()
                .setSku(sku)
                .setQuantity(quantity)
                .setTrial(trial)
                .build())
        .getPurchase();
  }

  long allocate(CapacityServiceBlockingStub stub, String env, Sku sku, long quantity) {
    return stub.setAllocation(
            SetAllocationRequest.newBuilder()
                .setEnvironment(env)
                .setSku(sku)
                .setQuantity(quantity)
                .build())
        .getAfter();
  }

  GetCapacitySummaryResponse summary() {
    return capacity.getCapacitySummary(GetCapacitySummaryRequest.getDefaultInstance());
  }

  static StatusRuntimeException refused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to be refused");
  }

  @Test
  void c1_purchases_add_up_per_sku() {
    purchase(Sku.SKU_PROCESS, 3, false);
    purchase(Sku.SKU_PROCESS, 4, false);
    purchase(Sku.SKU_APP_PASS, 10, false);
    var s = summary();
    assertThat(s.getSkusList())
        .filteredOn(x -> x.getSku() == Sku.SKU_PROCESS)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.getPurchased()).isEqualTo(7);
              assertThat(x.getUnit()).isEqualTo("bots");
            });
    assertThat(s.getSkusList())
        .filteredOn(x -> x.getSku() == Sku.SKU_APP_PASS)
        .singleElement()
        .satisfies(x -> assertThat(x.getUnit()).isEqualTo("passes"));
  }

  @Test
  void c1_purchase_is_idempotent_by_key() {
    var req =
        CreatePurchaseRequest.newBuilder()
            .setSku(Sku.SKU_PROCESS)
            .setQuantity(5)
            .setIdempotencyKey("po-1")
            .build();
    var a = capacity.createPurchase(req).getPurchase();
    var b = capacity.createPurchase(req).getPurchase();
    assertThat(b.getId()).isEqualTo(a.getId());
    assertThat(summary().getSkus(0).getPurchased()).isEqualTo(5);
    var e = refused(() -> capacity.createPurchase(req.toBuilder().setQuantity(6).build()));
    assertThat(GrpcErrors.reason(e)).isEqualTo("IDEMPOTENCY_KEY_REUSED");
  }

  @Test
  void c2_allocation_never_exceeds_purchased_units() {
    purchase(Sku.SKU_PROCESS, 5, false);
    assertThat(allocate(capacity, "prod", Sku.SKU_PROCESS, 3)).isEqualTo(3);
    var e = refused(() -> allocate(capacity, "dev", Sku.SKU_PROCESS, 3));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcErrors.reason(e)).isEqualTo("C2_EXCEEDS_PURCHASED");
    assertThat(e.getStatus().getDescription()).contains("at most 2");
    assertThat(allocate(capacity, "dev", Sku.SKU_PROCESS, 2)).isEqualTo(2);
    var s =
        summary().getSkusList().stream()
            .filter(x -> x.getSku() == Sku.SKU_PROCESS)
            .findFirst()
            .orElseThrow();
    assertThat(s.getAllocated()).isEqualTo(5);
    assertThat(s.getAvailable()).isZero();
  }

  @Test
  void c2_allocation_is_absolute_so_a_retry_is_harmless() {
    purchase(Sku.SKU_PROCESS, 5, false);
    allocate(capacity, "prod", Sku.SKU_PROCESS, 4);
    allocate(capacity, "prod", Sku.SKU_PROCESS, 4);
    assertThat(summary().getSkusList().get(0).getAllocated()).isEqualTo(4);
  }

  @Test
  void c2_lowering_below_consumption_is_refused_naming_the_consumer() {
    purchase(Sku.SKU_APP_PASS, 3, false);
    allocate(capacity, "prod", Sku.SKU_APP_PASS, 2);
    capacity.shareApp(
        ShareAppRequest.newBuilder()
            .setEnvironment("prod")
            .setApp("expenses")
            .setUser("ana")
            .build());
    capacity.shareApp(
        ShareAppRequest.newBuilder()
            .setEnvironment("prod")
            .setApp("expenses")
            .setUser("bo")
            .build());
    var e = refused(() -> allocate(capacity, "prod", Sku.SKU_APP_PASS, 1));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcErrors.reason(e)).isEqualTo("C2_BELOW_CONSUMED");
    assertThat(e.getStatus().getDescription()).contains("expenses→ana");
    assertThat(summary().getEnvironmentsList())
        .filteredOn(x -> x.getEnvironment().getName().equals("prod"))
        .singleElement()
        .satisfies(x -> assertThat(x.getUsage(0).getAllocated()).isEqualTo(2));
  }

  @Test
  void c2_parallel_allocations_never_exceed_purchases() throws Exception {
    purchase(Sku.SKU_PROCESS, 10, false);
    for (int i = 0; i < 6; i++) {
      env("e" + i, EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    AtomicInteger granted = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 6; i++) {
        String env = "e" + i;
        long q = round + 1;
        futures.add(
            pool.submit(
                () -> {
                  try {
                    allocate(capacity, env, Sku.SKU_PROCESS, q);
                    granted.incrementAndGet();
                  } catch (StatusRuntimeException e) {
                    assertThat(GrpcErrors.reason(e)).isEqualTo("C2_EXCEEDS_PURCHASED");
                  }
                }));
      }
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    var s =
        summary().getSkusList().stream()
            .filter(x -> x.getSku() == Sku.SKU_PROCESS)
            .findFirst()
            .orElseThrow();
    assertThat(s.getAllocated()).isLessThanOrEqualTo(10);
    assertThat(granted.get()).isPositive();
  }

  @Test
  void c3_consumption_happens_only_where_capacity_is_allocated() {
    purchase(Sku.SKU_APP_PASS, 5, false);
    allocate(capacity, "prod", Sku.SKU_APP_PASS, 5);
    var e =
        refused(
            () ->
                capacity.shareApp(
                    ShareAppRequest.newBuilder()
                        .setEnvironment("dev")
                        .setApp("a")
                        .setUser("u")
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(GrpcErrors.reason(e)).isEqualTo("C6_NO_APP_PASS");
  }

  @Test
  void c4_summary_shows_per_environment_allocated_and_consumed() {
    purchase(Sku.SKU_APP_PASS, 5, false);
    allocate(capacity, "prod", Sku.SKU_APP_PASS, 3);
    allocate(capacity, "dev", Sku.SKU_APP_PASS, 1);
    capacity.shareApp(
        ShareAppRequest.newBuilder().setEnvironment("prod").setApp("a").setUser("u1").build());
    var s = summary();
    var appPass =
        s.getSkusList().stream()
            .filter(x -> x.getSku() == Sku.SKU_APP_PASS)
            .findFirst()
            .orElseThrow();
    assertThat(appPass.getPurchased()).isEqualTo(5);
    assertThat(appPass.getAllocated()).isEqualTo(4);
    assertThat(appPass.getAvailable()).isEqualTo(1);
    assertThat(appPass.getConsumed()).isEqualTo(1);
    var prod =
        s.getEnvironmentsList().stream()
            .filter(x -> x.getEnvironment().getName().equals("prod"))
            .findFirst()
            .orElseThrow();
    assertThat(prod.getUsage(0).getAllocated()).isEqualTo(3);
    assertThat(prod.getUsage(0).getConsumed()).isEqualTo(1);
    assertThat(prod.getUsage(0).getUnit()).isEqualTo("passes");
  }

  @Test
  void c5_only_specific_admins_may_allocate_when_the_tenant_says_so() {
    purchase(Sku.SKU_PROCESS, 5, false);
    String envAdmin = t.principal("pat", Role.ENVIRONMENT_ADMIN, "prod");
    String service = t.principal("sam", Role.SERVICE_ADMIN, null);
    String maker = t.principal("mo", Role.MAKER, "prod");
    var asEnvAdmin = t.as(envAdmin, CapacityServiceGrpc::newBlockingStub);
    // EVERYONE (default): any admin of the target environment, and nobody else.
    assertThat(allocate(asEnvAdmin, "prod", Sku.SKU_PROCESS, 1)).isEqualTo(1);
    var other = refused(() -> allocate(asEnvAdmin, "dev", Sku.SKU_PROCESS, 1));
    assertThat(other.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    var makerRefused =
        refused(
            () ->
                allocate(
                    t.as(maker, CapacityServiceGrpc::newBlockingStub), "prod", Sku.SKU_PROCESS, 2));
    assertThat(makerRefused.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    t.admin(AdminServiceGrpc::newBlockingStub)
        .updateTenantSettings(
            UpdateTenantSettingsRequest.newBuilder()
                .setCapacityAllocation(
                    CapacityAllocationMode.CAPACITY_ALLOCATION_MODE_ONLY_SPECIFIC_ADMINS)
                .build());
    var e = refused(() -> allocate(asEnvAdmin, "prod", Sku.SKU_PROCESS, 2));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(GrpcErrors.reason(e)).isEqualTo("C5_ONLY_SPECIFIC_ADMINS");
    assertThat(
            allocate(
                t.as(service, CapacityServiceGrpc::newBlockingStub), "prod", Sku.SKU_PROCESS, 2))
        .isEqualTo(2);
  }

  @Test
  void c5_every_allocation_change_is_audited_with_before_and_after() {
    purchase(Sku.SKU_PROCESS, 5, false);
    allocate(capacity, "prod", Sku.SKU_PROCESS, 2);
    allocate(capacity, "prod", Sku.SKU_PROCESS, 4);
    var events =
        t.admin(AdminServiceGrpc::newBlockingStub)
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder().setActionPrefix("capacity.allocate").build())
            .getEventsList();
    assertThat(events).hasSize(2);
    assertThat(events.get(0).getActor()).isEqualTo("admin");
    assertThat(events.get(0).getTarget()).isEqualTo("environment=prod sku=PROCESS");
    assertThat(events.get(0).getBefore()).isEqualTo("2");
    assertThat(events.get(0).getAfter()).isEqualTo("4");
    assertThat(events.get(0).getAt().getSeconds()).isPositive();
  }

  @Test
  void c6_app_passes_cannot_be_assigned_to_users() {
    purchase(Sku.SKU_APP_PASS, 5, false);
    var e =
        refused(
            () ->
                capacity.setAllocation(
                    SetAllocationRequest.newBuilder()
                        .setUser("ana")
                        .setSku(Sku.SKU_APP_PASS)
                        .setQuantity(1)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcErrors.reason(e)).isEqualTo("C6_APP_PASS_ENVIRONMENT_ONLY");
    assertThat(e.getStatus().getDescription()).contains("app share");
  }

  @Test
  void c6_sharing_an_app_consumes_one_pass_per_user_and_app() {
    purchase(Sku.SKU_APP_PASS, 5, false);
    allocate(capacity, "prod", Sku.SKU_APP_PASS, 2);
    var share =
        ShareAppRequest.newBuilder()
            .setEnvironment("prod")
            .setApp("expenses")
            .setUser("ana")
            .build();
    assertThat(capacity.shareApp(share).getCreated()).isTrue();
    assertThat(capacity.shareApp(share).getCreated()).isFalse();
    capacity.shareApp(share.toBuilder().setApp("travel").build());
    var e = refused(() -> capacity.shareApp(share.toBuilder().setUser("bo").build()));
    assertThat(GrpcErrors.reason(e)).isEqualTo("C6_NO_APP_PASS");
    assertThat(
            summary().getSkusList().stream()
                .filter(x -> x.getSku() == Sku.SKU_APP_PASS)
                .findFirst()
                .orElseThrow()
                .getConsumed())
        .isEqualTo(2);
  }

  @Test
  void l6_trial_ends_after_30_days_and_extends_once() {
    var trial = purchase(Sku.SKU_PROCESS, 4, true);
    assertThat(trial.getEndsAt().getSeconds() - trial.getStartsAt().getSeconds())
        .isEqualTo(Duration.ofDays(30).toSeconds());
    var extended =
        capacity
            .extendTrial(ExtendTrialRequest.newBuilder().setPurchaseId(trial.getId()).build())
            .getPurchase();
    assertThat(extended.getEndsAt().getSeconds() - trial.getStartsAt().getSeconds())
        .isEqualTo(Duration.ofDays(60).toSeconds());
    var again =
        refused(
            () ->
                capacity.extendTrial(
                    ExtendTrialRequest.newBuilder().setPurchaseId(trial.getId()).build()));
    assertThat(GrpcErrors.reason(again)).isEqualTo("L6_ALREADY_EXTENDED");
    t.clock.advance(Duration.ofDays(60).plusSeconds(1));
    assertThat(summary().getSkus(0).getPurchased()).isZero();
    var noTrial = refused(() -> purchase(Sku.SKU_APP_PASS, 1, true));
    assertThat(GrpcErrors.reason(noTrial)).isEqualTo("L6_TRIAL_NOT_OFFERED");
  }

  @Test
  void c8_expired_trial_flags_newest_allocation_and_refuses_new_allocation_and_consumption() {
    purchase(Sku.SKU_APP_PASS, 2, false);
    purchase(Sku.SKU_APP_PASS, 3, false);
    env("late", EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
    // Only PROCESS and HOSTED_PROCESS have trials; model a shrinking APP_PASS through PROCESS
    // instead.
    purchase(Sku.SKU_PROCESS, 2, false);
    purchase(Sku.SKU_PROCESS, 3, true);
    allocate(capacity, "prod", Sku.SKU_PROCESS, 2);
    t.clock.advance(Duration.ofMinutes(1));
    allocate(capacity, "late", Sku.SKU_PROCESS, 3);
    t.clock.advance(Duration.ofDays(31));
    var s = summary();
    var process =
        s.getSkusList().stream()
            .filter(x -> x.getSku() == Sku.SKU_PROCESS)
            .findFirst()
            .orElseThrow();
    assertThat(process.getPurchased()).isEqualTo(2);
    assertThat(process.getAvailable()).isEqualTo(-3);
    assertThat(s.getOverCapacityList())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getEnvironment()).isEqualTo("late");
              assertThat(o.getUnitsOver()).isEqualTo(3);
              assertThat(o.getRemedy()).contains("purchase 3 more PROCESS");
            });
    var e = refused(() -> allocate(capacity, "dev", Sku.SKU_PROCESS, 1));
    assertThat(GrpcErrors.reason(e)).isEqualTo("C8_OVER_CAPACITY");
    // Lowering the flagged allocation is the fix, and is allowed.
    assertThat(allocate(capacity, "late", Sku.SKU_PROCESS, 0)).isZero();
    assertThat(summary().getOverCapacityList()).isEmpty();
  }

  @Test
  void unauthenticated_and_unknown_tokens_are_refused() {
    var none =
        refused(
            () ->
                t.anonymous(AdminServiceGrpc::newBlockingStub)
                    .whoAmI(WhoAmIRequest.getDefaultInstance()));
    assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    var bad =
        refused(
            () ->
                t.as("bfp_nope", AdminServiceGrpc::newBlockingStub)
                    .whoAmI(WhoAmIRequest.getDefaultInstance()));
    assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    AdminServiceBlockingStub maker =
        t.as(t.principal("mo", Role.MAKER, "prod"), AdminServiceGrpc::newBlockingStub);
    assertThat(maker.whoAmI(WhoAmIRequest.getDefaultInstance()).getPrincipal().getName())
        .isEqualTo("mo");
    var denied =
        refused(
            () ->
                t.as(t.principal("mo2", Role.MAKER, "prod"), CapacityServiceGrpc::newBlockingStub)
                    .createPurchase(
                        CreatePurchaseRequest.newBuilder()
                            .setSku(Sku.SKU_PROCESS)
                            .setQuantity(1)
                            .build()));
    assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void bad_input_gets_a_reason_and_changes_nothing() {
    purchase(Sku.SKU_PROCESS, 5, false);
    var e = refused(() -> allocate(capacity, "prod", Sku.SKU_PROCESS, -1));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    var missing = refused(() -> allocate(capacity, "nope", Sku.SKU_PROCESS, 1));
    assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    var dup = refused(() -> env("prod", EnvironmentType.ENVIRONMENT_TYPE_SANDBOX));
    assertThat(dup.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    var badName = refused(() -> env("../x", EnvironmentType.ENVIRONMENT_TYPE_SANDBOX));
    assertThat(badName.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(summary().getSkus(0).getAllocated()).isZero();
    assertThatThrownBy(() -> purchase(Sku.SKU_PROCESS, 0, false))
        .isInstanceOf(StatusRuntimeException.class);
  }
}
