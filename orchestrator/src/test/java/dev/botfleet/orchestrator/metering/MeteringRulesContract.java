package dev.botfleet.orchestrator.metering;

import static dev.botfleet.orchestrator.users.LicensingFixture.refused;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.licensing.Capability;
import dev.botfleet.orchestrator.licensing.EntitlementMatrix;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.orchestrator.users.LicensingFixture;
import dev.botfleet.proto.v1.AllocatePerFlowRequest;
import dev.botfleet.proto.v1.AssociateFlowRequest;
import dev.botfleet.proto.v1.BucketUsage;
import dev.botfleet.proto.v1.CloudFlow;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.FlowPlan;
import dev.botfleet.proto.v1.GetUsageRequest;
import dev.botfleet.proto.v1.OverLimitPolicy;
import dev.botfleet.proto.v1.RecordOutcome;
import dev.botfleet.proto.v1.RecordUsageRequest;
import dev.botfleet.proto.v1.RecordUsageResponse;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.UpdateTenantSettingsRequest;
import dev.botfleet.proto.v1.UsageRecord;
import dev.botfleet.proto.v1.UsageRecordResult;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Request metering (M1–M4, M6) and its metrics through the gRPC API, once per database. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MeteringRulesContract {
  static final AtomicInteger KEYS = new AtomicInteger();
  TestOrchestrator t;
  LicensingFixture f;
  String env;
  String owner;
  long freeLimit =
      EntitlementMatrix.lookup(
              dev.botfleet.orchestrator.licensing.LicenseType.FREE, Capability.DAILY_PPR)
          .quantity();

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeAll
  void startOrchestrator(@TempDir Path dir) throws Exception {
    t = start(dir);
    f = new LicensingFixture(t);
  }

  @AfterAll
  void stop() {
    t.close();
  }

  @BeforeEach
  void setUp() {
    f.nextDay();
    env = f.env(EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION);
    owner = f.user();
  }

  static String key() {
    return "k-" + KEYS.incrementAndGet() + "-" + System.nanoTime();
  }

  static UsageRecord flowRecord(String flow, long requests, String key) {
    return UsageRecord.newBuilder()
        .setFlow(flow)
        .setEnvironment(LicensingFixture.envOf(flow))
        .setRequests(requests)
        .setIdempotencyKey(key)
        .build();
  }

  static UsageRecord userRecord(String user, long requests, String key) {
    return UsageRecord.newBuilder()
        .setUser(user)
        .setRequests(requests)
        .setIdempotencyKey(key)
        .build();
  }

  RecordUsageResponse record(UsageRecord... records) {
    return f.metering.recordUsage(
        RecordUsageRequest.newBuilder().addAllRecords(List.of(records)).build());
  }

  @org.junit.jupiter.api.Test
  void issue_12_usage_is_recorded_only_where_the_caller_may_act() {
    CloudFlow flow = f.flow(env, owner);
    String other = f.env(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
    String here =
        t.principal(LicensingFixture.name("mk"), dev.botfleet.orchestrator.admin.Role.MAKER, env);
    String elsewhere =
        t.principal(LicensingFixture.name("mk"), dev.botfleet.orchestrator.admin.Role.MAKER, other);
    var record =
        RecordUsageRequest.newBuilder().addRecords(flowRecord(flow.getName(), 5, key())).build();
    assertThat(
            t.as(here, dev.botfleet.proto.v1.MeteringServiceGrpc::newBlockingStub)
                .recordUsage(record)
                .getResults(0)
                .getOutcome())
        .isEqualTo(RecordOutcome.RECORD_OUTCOME_RECORDED);
    var denied =
        refused(
            () ->
                t.as(elsewhere, dev.botfleet.proto.v1.MeteringServiceGrpc::newBlockingStub)
                    .recordUsage(
                        RecordUsageRequest.newBuilder()
                            .addRecords(flowRecord(flow.getName(), 5, key()))
                            .build()));
    assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    // Users are tenant-wide: a maker cannot charge a user's licenses.
    var user =
        refused(
            () ->
                t.as(here, dev.botfleet.proto.v1.MeteringServiceGrpc::newBlockingStub)
                    .recordUsage(
                        RecordUsageRequest.newBuilder()
                            .addRecords(userRecord(owner, 1, key()))
                            .build()));
    assertThat(user.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  UsageRecordResult recordOne(UsageRecord r) {
    return record(r).getResults(0);
  }

  BucketUsage userUsage(String user) {
    return f.metering.getUsage(GetUsageRequest.newBuilder().setUser(user).build()).getBuckets(0);
  }

  BucketUsage flowUsage(String flow) {
    return f.metering
        .getUsage(
            GetUsageRequest.newBuilder()
                .setFlow(flow)
                .setEnvironment(LicensingFixture.envOf(flow))
                .build())
        .getBuckets(0);
  }

  @Test
  void m1_every_record_is_charged_to_exactly_one_bucket_in_the_decision_order() {
    f.capacity(env, Sku.SKU_PROCESS, 1);
    f.capacity(env, Sku.SKU_PER_FLOW, 1);
    CloudFlow process = f.processFlow(env, owner, 1);
    CloudFlow child = f.flow(env, owner);
    f.flows.associateFlow(
        AssociateFlowRequest.newBuilder()
            .setProcessFlow(process.getName())
            .setFlow(child.getName())
            .setEnvironment(env)
            .build());
    CloudFlow covered = f.flow(env, owner);
    String machine = f.machine(env, null, 1);
    f.triggeredRun(env, covered.getName(), "MACHINE", machine);
    CloudFlow perFlow = f.flow(env, owner);
    f.flows.allocatePerFlow(
        AllocatePerFlowRequest.newBuilder().setFlow(perFlow.getName()).setEnvironment(env).build());
    CloudFlow plain = f.flow(env, owner);

    var results =
        record(
                flowRecord(process.getName(), 10, key()),
                flowRecord(child.getName(), 20, key()),
                flowRecord(covered.getName(), 30, key()),
                flowRecord(perFlow.getName(), 40, key()),
                flowRecord(plain.getName(), 50, key()),
                userRecord(owner, 60, key()))
            .getResultsList();

    assertThat(results)
        .extracting(UsageRecordResult::getOutcome)
        .containsOnly(RecordOutcome.RECORD_OUTCOME_RECORDED);
    assertThat(results)
        .extracting(UsageRecordResult::getPlan)
        .containsExactly(
            FlowPlan.FLOW_PLAN_PROCESS,
            FlowPlan.FLOW_PLAN_ASSOCIATED_TO_PROCESS,
            FlowPlan.FLOW_PLAN_PROCESS_INHERITED_FROM_MACHINE,
            FlowPlan.FLOW_PLAN_PER_FLOW,
            FlowPlan.FLOW_PLAN_OWNER_LICENSES,
            FlowPlan.FLOW_PLAN_OWNER_LICENSES);
    assertThat(results)
        .extracting(UsageRecordResult::getBucket)
        .containsExactly(
            "flow:" + process.getName(),
            "flow:" + process.getName(),
            "flow:" + covered.getName(),
            "flow:" + perFlow.getName(),
            "user:" + owner,
            "user:" + owner);

    var all =
        f.metering
            .getUsage(GetUsageRequest.newBuilder().setAllInEnvironment(env).build())
            .getBucketsList();
    assertThat(all.stream().mapToLong(BucketUsage::getUsed).sum())
        .as("each record counted in exactly one bucket")
        .isEqualTo(210);
    assertThat(flowUsage(process.getName()).getUsed()).isEqualTo(30);
    assertThat(userUsage(owner).getUsed()).isEqualTo(110);
    assertThat(f.show(child.getName()).getUsedToday()).isEqualTo(20);
    assertThat(f.show(child.getName()).getBucketUsedToday()).isEqualTo(30);
  }

  @Test
  void m2_buckets_reset_at_the_configured_day_boundary() {
    f.admin.updateTenantSettings(
        UpdateTenantSettingsRequest.newBuilder().setMeteringDayOffsetMinutes(120).build());
    Instant today = t.clock.instant();
    Instant lastMinute =
        today
            .truncatedTo(java.time.temporal.ChronoUnit.DAYS)
            .plus(Duration.ofHours(21).plusMinutes(59)); // 23:59 at +02:00
    t.clock.set(lastMinute);
    recordOne(userRecord(owner, freeLimit, key()));
    var e = refused(() -> recordOne(userRecord(owner, 1, key())));
    Instant boundary = lastMinute.plus(Duration.ofMinutes(1));
    assertThat(retryAt(e)).isEqualTo(boundary.toString());
    t.clock.set(boundary);
    assertThat(recordOne(userRecord(owner, freeLimit, key())).getOutcome())
        .as("a new day at 00:00 +02:00")
        .isEqualTo(RecordOutcome.RECORD_OUTCOME_RECORDED);
    assertThat(userUsage(owner).getUsed()).isEqualTo(freeLimit);
    String yesterday =
        boundary.minusSeconds(1).atOffset(java.time.ZoneOffset.ofHours(2)).toLocalDate().toString();
    assertThat(
            f.metering
                .getUsage(GetUsageRequest.newBuilder().setUser(owner).setDay(yesterday).build())
                .getBuckets(0)
                .getUsed())
        .isEqualTo(freeLimit);
  }

  @Test
  void m3_throttle_refuses_over_the_limit_with_resource_exhausted_and_the_retry_time() {
    double throttledBefore = counter("botfleet.ppr.throttled.records");
    recordOne(userRecord(owner, freeLimit - 1, key()));
    var e = refused(() -> record(userRecord(owner, 1, key()), userRecord(owner, 5, key())));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(GrpcErrors.reason(e)).isEqualTo("M3_THROTTLED");
    Instant nextMidnight =
        t.clock.instant().truncatedTo(java.time.temporal.ChronoUnit.DAYS).plus(Duration.ofDays(1));
    assertThat(retryAt(e)).isEqualTo(nextMidnight.toString());
    assertThat(e.getStatus().getDescription()).contains(nextMidnight.toString());
    assertThat(info(e).getMetadataOrThrow("accepted")).isEqualTo("1");
    var details = StatusProto.fromThrowable(e).getDetailsList();
    assertThat(details).anyMatch(d -> d.is(RetryInfo.class));

    BucketUsage u = userUsage(owner);
    assertThat(u.getUsed()).isEqualTo(freeLimit);
    assertThat(u.getThrottled()).isEqualTo(5);
    assertThat(u.getLimitLiftsAt().getSeconds()).isEqualTo(nextMidnight.getEpochSecond());
    assertThat(counter("botfleet.ppr.throttled.records")).isEqualTo(throttledBefore + 1);
  }

  @Test
  void m3_record_overage_accepts_and_counts_the_overage() {
    f.admin.updateTenantSettings(
        UpdateTenantSettingsRequest.newBuilder()
            .setOverLimit(OverLimitPolicy.OVER_LIMIT_POLICY_RECORD_OVERAGE)
            .build());
    recordOne(userRecord(owner, freeLimit - 10, key()));
    var r = recordOne(userRecord(owner, 25, key()));
    assertThat(r.getOutcome()).isEqualTo(RecordOutcome.RECORD_OUTCOME_RECORDED);
    assertThat(r.getOverage()).isEqualTo(15);
    BucketUsage u = userUsage(owner);
    assertThat(u.getUsed()).isEqualTo(freeLimit + 15);
    assertThat(u.getOverage()).isEqualTo(15);
    assertThat(u.hasLimitLiftsAt()).isFalse();
  }

  @Test
  void m3_the_multiplier_raises_every_limit() {
    f.capacity(env, Sku.SKU_PROCESS, 1);
    CloudFlow process = f.processFlow(env, owner, 1);
    f.admin.updateTenantSettings(
        UpdateTenantSettingsRequest.newBuilder().setLimitMultiplier(2.0).build());
    assertThat(recordOne(userRecord(owner, 2 * freeLimit, key())).getOutcome())
        .isEqualTo(RecordOutcome.RECORD_OUTCOME_RECORDED);
    assertThat(userUsage(owner).getDailyRequestLimit()).isEqualTo(2 * freeLimit);
    assertThat(f.show(process.getName()).getDailyRequestLimit()).isEqualTo(500_000);
    assertThat(recordOne(flowRecord(process.getName(), 500_000, key())).getOutcome())
        .isEqualTo(RecordOutcome.RECORD_OUTCOME_RECORDED);
  }

  @Test
  void m4_a_retried_key_is_counted_once() {
    String k = key();
    assertThat(recordOne(userRecord(owner, 7, k)).getOutcome())
        .isEqualTo(RecordOutcome.RECORD_OUTCOME_RECORDED);
    assertThat(recordOne(userRecord(owner, 7, k)).getOutcome())
        .isEqualTo(RecordOutcome.RECORD_OUTCOME_DUPLICATE);
    String twice = key();
    var both = record(userRecord(owner, 3, twice), userRecord(owner, 3, twice)).getResultsList();
    assertThat(both)
        .extracting(UsageRecordResult::getOutcome)
        .containsExactly(
            RecordOutcome.RECORD_OUTCOME_RECORDED, RecordOutcome.RECORD_OUTCOME_DUPLICATE);
    assertThat(userUsage(owner).getUsed()).isEqualTo(10);
  }

  @Test
  void m4_keys_are_kept_three_days_then_pruned() {
    String k = key();
    recordOne(userRecord(owner, 1, k));
    t.clock.set(t.clock.instant().plus(Duration.ofDays(2)));
    t.orchestrator.metering.pruneKeysNow();
    assertThat(recordOne(userRecord(owner, 1, k)).getOutcome())
        .isEqualTo(RecordOutcome.RECORD_OUTCOME_DUPLICATE);
    t.clock.set(t.clock.instant().plus(Duration.ofDays(2)));
    assertThat(t.orchestrator.metering.pruneKeysNow()).isPositive();
  }

  @Test
  void m4_concurrent_writers_never_push_a_throttled_bucket_over_its_limit() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<Long>> accepted = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      accepted.add(
          pool.submit(
              () -> {
                long n = 0;
                for (int i = 0; i < 20; i++) {
                  List<UsageRecord> batch = new ArrayList<>();
                  for (int j = 0; j < 10; j++) {
                    batch.add(userRecord(owner, 7, key()));
                  }
                  try {
                    f.metering.recordUsage(
                        RecordUsageRequest.newBuilder().addAllRecords(batch).build());
                    n += 70;
                  } catch (StatusRuntimeException e) {
                    n += 7 * Long.parseLong(info(e).getMetadataOrThrow("accepted"));
                  }
                }
                return n;
              }));
    }
    long total = 0;
    for (Future<Long> a : accepted) {
      total += a.get();
    }
    pool.shutdown();
    BucketUsage u = userUsage(owner);
    assertThat(u.getUsed())
        .isEqualTo(total)
        .isLessThanOrEqualTo(freeLimit)
        .isGreaterThan(freeLimit - 7);
  }

  @Test
  void m6_usage_says_which_flows_consumed_how_much_and_p4_charges_the_parent() {
    f.capacity(env, Sku.SKU_PROCESS, 1);
    CloudFlow parent = f.processFlow(env, owner, 1);
    CloudFlow a = f.flow(env, owner);
    CloudFlow b = f.flow(env, owner);
    for (CloudFlow c : List.of(a, b)) {
      f.flows.associateFlow(
          AssociateFlowRequest.newBuilder()
              .setProcessFlow(parent.getName())
              .setFlow(c.getName())
              .setEnvironment(env)
              .build());
    }
    record(
        flowRecord(a.getName(), 100, key()),
        flowRecord(b.getName(), 300, key()),
        flowRecord(parent.getName(), 5, key()));
    BucketUsage u = flowUsage(b.getName());
    assertThat(u.getBucket()).isEqualTo("flow:" + parent.getName());
    assertThat(u.getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_PROCESS);
    assertThat(u.getDailyRequestLimit()).isEqualTo(250_000);
    assertThat(u.getUsed()).isEqualTo(405);
    assertThat(u.getContributionsList())
        .extracting(c -> c.getName() + "=" + c.getRequests())
        .containsExactly(b.getName() + "=300", a.getName() + "=100", parent.getName() + "=5");
    assertThat(u.getExplanation()).contains("P4");
  }

  @Test
  void metrics_count_requests_per_plan_and_buckets_near_their_limit() {
    double before = counter("botfleet.ppr.requests.recorded", "plan", "OWNER_LICENSES");
    String nearly = f.user();
    String full = f.user();
    recordOne(userRecord(nearly, freeLimit * 9 / 10, key()));
    recordOne(userRecord(full, freeLimit, key()));
    assertThat(counter("botfleet.ppr.requests.recorded", "plan", "OWNER_LICENSES"))
        .isEqualTo(before + freeLimit * 9 / 10 + freeLimit);
    String scrape = t.orchestrator.registry.scrape();
    new dev.botfleet.orchestrator.metrics.MeteringMetrics(
            t.orchestrator.metering, t.orchestrator.usage)
        .refresh();
    assertThat(t.orchestrator.usage.bucketsAtLeast(80)).isEqualTo(2);
    assertThat(t.orchestrator.usage.bucketsAtLeast(100)).isEqualTo(1);
    assertThat(scrape).contains("botfleet_ppr_requests_recorded_total{plan=\"OWNER_LICENSES\"}");
  }

  double counter(String name, String... tags) {
    var c = t.orchestrator.registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  static ErrorInfo info(StatusRuntimeException e) {
    for (Any d : StatusProto.fromThrowable(e).getDetailsList()) {
      if (d.is(ErrorInfo.class)) {
        try {
          return d.unpack(ErrorInfo.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException x) {
          throw new AssertionError(x);
        }
      }
    }
    throw new AssertionError("no ErrorInfo in " + e);
  }

  static String retryAt(StatusRuntimeException e) {
    return info(e).getMetadataOrThrow("retry_at");
  }
}
