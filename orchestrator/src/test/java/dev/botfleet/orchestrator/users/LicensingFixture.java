package dev.botfleet.orchestrator.users;

import dev.botfleet.orchestrator.store.Jdbc;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.AllocateProcessRequest;
import dev.botfleet.proto.v1.AssignLicenseRequest;
import dev.botfleet.proto.v1.CloudFlow;
import dev.botfleet.proto.v1.ConnectorTier;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreateFlowRequest;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.CreateUserRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.FlowServiceGrpc;
import dev.botfleet.proto.v1.GetFlowRequest;
import dev.botfleet.proto.v1.LicenseType;
import dev.botfleet.proto.v1.LicensingServiceGrpc;
import dev.botfleet.proto.v1.MeteringServiceGrpc;
import dev.botfleet.proto.v1.OverLimitPolicy;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.SetSelfServiceTrialsRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.UpdateTenantSettingsRequest;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Helpers for the licensing, flow and metering contracts: one orchestrator per test class, names
 * unique per test ({@link #name}), a fresh metering day per test ({@link #nextDay}).
 */
public final class LicensingFixture {
  private static final AtomicInteger SEQ = new AtomicInteger();
  public final TestOrchestrator t;
  public final LicensingServiceGrpc.LicensingServiceBlockingStub licensing;
  public final FlowServiceGrpc.FlowServiceBlockingStub flows;
  public final MeteringServiceGrpc.MeteringServiceBlockingStub metering;
  public final AdminServiceGrpc.AdminServiceBlockingStub admin;
  private Instant day = Instant.parse("2026-01-05T09:00:00Z");

  public LicensingFixture(TestOrchestrator t) {
    this.t = t;
    licensing =
        t.admin(LicensingServiceGrpc::newBlockingStub)
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.MINUTES);
    flows =
        t.admin(FlowServiceGrpc::newBlockingStub)
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.MINUTES);
    metering =
        t.admin(MeteringServiceGrpc::newBlockingStub)
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.MINUTES);
    admin =
        t.admin(AdminServiceGrpc::newBlockingStub)
            .withDeadlineAfter(10, java.util.concurrent.TimeUnit.MINUTES);
  }

  /** Moves the clock to 09:00 UTC of a day no earlier test used and resets the tenant settings. */
  public Instant nextDay() {
    day = day.plus(Duration.ofDays(200));
    t.clock.set(day);
    admin.updateTenantSettings(
        UpdateTenantSettingsRequest.newBuilder()
            .setGovernmentCloud(false)
            .setOverLimit(OverLimitPolicy.OVER_LIMIT_POLICY_THROTTLE)
            .setLimitMultiplier(1.0)
            .setMeteringDayOffsetMinutes(0)
            .build());
    licensing.setSelfServiceTrials(
        SetSelfServiceTrialsRequest.newBuilder()
            .setType(LicenseType.LICENSE_TYPE_TRIAL)
            .setEnabled(true)
            .build());
    return day;
  }

  public static String name(String prefix) {
    return prefix + "-" + SEQ.incrementAndGet();
  }

  public String env(EnvironmentType type) {
    String name = name("env");
    t.admin(EnvironmentServiceGrpc::newBlockingStub)
        .createEnvironment(
            CreateEnvironmentRequest.newBuilder().setName(name).setType(type).build());
    return name;
  }

  /** Buys {@code units} of {@code sku} and allocates them to {@code env}. */
  public void capacity(String env, Sku sku, long units) {
    var c = t.admin(dev.botfleet.proto.v1.CapacityServiceGrpc::newBlockingStub);
    c.createPurchase(CreatePurchaseRequest.newBuilder().setSku(sku).setQuantity(units).build());
    long before =
        c
            .getCapacitySummary(
                dev.botfleet.proto.v1.GetCapacitySummaryRequest.getDefaultInstance())
            .getEnvironmentsList()
            .stream()
            .filter(e -> e.getEnvironment().getName().equals(env))
            .flatMap(e -> e.getUsageList().stream())
            .filter(u -> u.getSku() == sku)
            .mapToLong(u -> u.getAllocated())
            .sum();
    c.setAllocation(
        SetAllocationRequest.newBuilder()
            .setEnvironment(env)
            .setSku(sku)
            .setQuantity(before + units)
            .build());
  }

  public String user(LicenseType... extra) {
    String name = name("user");
    licensing.createUser(CreateUserRequest.newBuilder().setName(name).build());
    for (LicenseType type : extra) {
      licensing.assignLicense(
          AssignLicenseRequest.newBuilder().setUser(name).setType(type).build());
    }
    return name;
  }

  public CloudFlow flow(String env, String owner, ConnectorTier... tiers) {
    var req =
        CreateFlowRequest.newBuilder().setName(name("flow")).setEnvironment(env).setOwner(owner);
    for (ConnectorTier tier : tiers) {
      req.addConnectors(tier);
    }
    CloudFlow created = flows.createFlow(req.build()).getFlow();
    FLOW_ENVIRONMENTS.put(created.getName(), env);
    return created;
  }

  /**
   * Requests name a flow by environment and name (issue 8: one meaning per field); flow names made
   * here are unique, so tests name a flow and this finds its environment.
   */
  private static final java.util.Map<String, String> FLOW_ENVIRONMENTS =
      new java.util.concurrent.ConcurrentHashMap<>();

  public static String envOf(String flow) {
    return FLOW_ENVIRONMENTS.getOrDefault(flow, "");
  }

  public CloudFlow processFlow(String env, String owner, int units) {
    CloudFlow f = flow(env, owner);
    return flows
        .allocateProcess(
            AllocateProcessRequest.newBuilder()
                .setFlow(f.getName())
                .setEnvironment(env)
                .setCount(units)
                .build())
        .getFlow();
  }

  public CloudFlow show(String flow) {
    return flows
        .getFlow(GetFlowRequest.newBuilder().setName(flow).setEnvironment(envOf(flow)).build())
        .getFlow();
  }

  public Jdbc jdbc() {
    return new Jdbc(t.orchestrator.tx);
  }

  /** A machine holding {@code bots} bots (rows written directly, as the agent area would). */
  public String machine(String env, String groupId, int bots) {
    String envId = t.orchestrator.environments.require(env).id();
    String id = name("mach").replace("-", "_");
    Instant now = t.clock.instant();
    t.orchestrator.tx.run(
        () -> {
          jdbc()
              .update(
                  "INSERT INTO machine (id, environment_id, name, group_id, credential_hash, os_family, os_version, hostname, logical_cpus, memory_bytes,"
                      + " active_sessions, max_sessions, installed_flows, agent_version, auto_allocation, maintenance, status, last_heartbeat, enrolled_at)"
                      + " VALUES (?, ?, ?, ?, ?, 'WINDOWS', '11', 'h', 4, 1024, 0, 10, '', 'test', FALSE, FALSE, 'ONLINE', ?, ?)",
                  id,
                  envId,
                  id,
                  groupId,
                  String.format("%064d", SEQ.incrementAndGet()),
                  now,
                  now);
          for (int i = 0; i < bots; i++) {
            jdbc()
                .update(
                    "INSERT INTO bot (id, machine_id, environment_id, source, sku, allocated_at) VALUES (?, ?, ?, 'MANUAL', 'PROCESS', ?)",
                    id + "_b" + i,
                    id,
                    envId,
                    now);
          }
        });
    return id;
  }

  public String group(String env) {
    String envId = t.orchestrator.environments.require(env).id();
    String id = name("grp").replace("-", "_");
    t.orchestrator.tx.run(
        () ->
            jdbc()
                .update(
                    "INSERT INTO machine_group (id, environment_id, name, created_at) VALUES (?, ?, ?, ?)",
                    id,
                    envId,
                    id,
                    t.clock.instant()));
    return id;
  }

  public void removeBots(String machineId) {
    t.orchestrator.tx.run(() -> jdbc().update("DELETE FROM bot WHERE machine_id = ?", machineId));
  }

  /** A run the cloud flow {@code flow} triggered on a machine or group (R1), written directly. */
  public void triggeredRun(String env, String flow, String targetKind, String targetId) {
    String envId = t.orchestrator.environments.require(env).id();
    t.orchestrator.tx.run(
        () ->
            jdbc()
                .update(
                    "INSERT INTO run (id, environment_id, flow_name, target_kind, target_id, priority, inputs, triggering_flow, queue_timeout_s, run_timeout_s,"
                        + " retryable, state, attempt, submitted_at, queue_deadline, cancel_requested, submitted_by)"
                        + " VALUES (?, ?, 'desktop', ?, ?, 2, '{}', ?, 60, 60, FALSE, 'SUCCEEDED', 1, ?, ?, FALSE, 'test')",
                    name("run").replace("-", "_"),
                    envId,
                    targetKind,
                    targetId,
                    flow,
                    t.clock.instant(),
                    t.clock.instant().plusSeconds(60)));
  }

  public static StatusRuntimeException refused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to be refused");
  }
}
