package dev.botfleet.orchestrator.flows;

import static dev.botfleet.orchestrator.users.LicensingFixture.refused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.orchestrator.users.LicensingFixture;
import dev.botfleet.proto.v1.AllocatePerFlowRequest;
import dev.botfleet.proto.v1.AllocateProcessRequest;
import dev.botfleet.proto.v1.AssociateFlowRequest;
import dev.botfleet.proto.v1.CloudFlow;
import dev.botfleet.proto.v1.ConnectorTier;
import dev.botfleet.proto.v1.CreateFlowRequest;
import dev.botfleet.proto.v1.DeallocateProcessRequest;
import dev.botfleet.proto.v1.DissociateFlowRequest;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.FlowPlan;
import dev.botfleet.proto.v1.LicenseType;
import dev.botfleet.proto.v1.ListFlowsRequest;
import dev.botfleet.proto.v1.ShareFlowRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.StartTrialRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Cloud flows and their plans (P3, P4, P7, P9, L2, L4) through the gRPC API, once per database. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FlowRulesContract {
  TestOrchestrator t;
  LicensingFixture f;
  String env;
  String owner;

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
    owner = f.user(LicenseType.LICENSE_TYPE_PREMIUM);
  }

  AssociateFlowRequest associate(String parent, String child) {
    return AssociateFlowRequest.newBuilder()
        .setProcessFlow(parent)
        .setFlow(child)
        .setEnvironment(env)
        .build();
  }

  @Test
  void p3_process_units_stack_and_consume_the_pool() {
    f.capacity(env, Sku.SKU_PROCESS, 3);
    CloudFlow flow = f.processFlow(env, owner, 2);
    assertThat(flow.getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_PROCESS);
    assertThat(flow.getProcessUnits()).isEqualTo(2);
    assertThat(flow.getDailyRequestLimit()).isEqualTo(500_000);
    assertThat(flow.getBucket()).isEqualTo("flow:" + flow.getName());
    assertThat(
            t.orchestrator.capacity.freeIn(
                t.orchestrator.environments.require(env).id(),
                dev.botfleet.orchestrator.capacity.Sku.PROCESS))
        .isEqualTo(1);
    var util = t.orchestrator.processUtilization.of(env);
    assertThat(util.units())
        .anySatisfy(
            h -> {
              assertThat(h.kind()).isEqualTo("flow");
              assertThat(h.name()).isEqualTo(flow.getName());
              assertThat(h.units()).isEqualTo(2);
            });

    var e =
        refused(
            () ->
                f.flows.allocateProcess(
                    AllocateProcessRequest.newBuilder()
                        .setFlow(flow.getName())
                        .setEnvironment(env)
                        .setCount(2)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(GrpcErrors.reason(e)).isEqualTo("P3_NO_PROCESS_CAPACITY");

    var lower =
        refused(
            () ->
                t.admin(dev.botfleet.proto.v1.CapacityServiceGrpc::newBlockingStub)
                    .setAllocation(
                        dev.botfleet.proto.v1.SetAllocationRequest.newBuilder()
                            .setEnvironment(env)
                            .setSku(Sku.SKU_PROCESS)
                            .setQuantity(1)
                            .build()));
    assertThat(GrpcErrors.reason(lower))
        .as("C2: flows consume the pool")
        .isEqualTo("C2_BELOW_CONSUMED");
    assertThat(lower.getStatus().getDescription()).contains(flow.getName());

    var less =
        f.flows
            .deallocateProcess(
                DeallocateProcessRequest.newBuilder()
                    .setFlow(flow.getName())
                    .setEnvironment(env)
                    .setCount(1)
                    .build())
            .getFlow();
    assertThat(less.getDailyRequestLimit()).isEqualTo(250_000);
  }

  @Test
  void p4_a_process_flow_has_at_most_25_associated_flows() {
    f.capacity(env, Sku.SKU_PROCESS, 1);
    CloudFlow parent = f.processFlow(env, owner, 1);
    for (int i = 0; i < 25; i++) {
      CloudFlow child = f.flow(env, owner);
      var associated =
          f.flows.associateFlow(associate(parent.getName(), child.getName())).getFlow();
      assertThat(associated.getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_ASSOCIATED_TO_PROCESS);
      assertThat(associated.getBucket()).isEqualTo("flow:" + parent.getName());
    }
    CloudFlow extra = f.flow(env, owner);
    var e = refused(() -> f.flows.associateFlow(associate(parent.getName(), extra.getName())));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcErrors.reason(e)).isEqualTo("P4_ASSOCIATION_LIMIT");
    assertThat(f.show(parent.getName()).getAssociatedCount()).isEqualTo(25);
  }

  @Test
  void p4_concurrent_associations_never_exceed_25() throws Exception {
    f.capacity(env, Sku.SKU_PROCESS, 1);
    CloudFlow parent = f.processFlow(env, owner, 1);
    List<String> children = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      children.add(f.flow(env, owner).getName());
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (String child : children) {
      results.add(
          pool.submit(
              () -> {
                go.await();
                try {
                  f.flows.associateFlow(associate(parent.getName(), child));
                  return true;
                } catch (StatusRuntimeException e) {
                  assertThat(GrpcErrors.reason(e)).isEqualTo("P4_ASSOCIATION_LIMIT");
                  return false;
                }
              }));
    }
    go.countDown();
    int ok = 0;
    for (Future<Boolean> r : results) {
      ok += r.get() ? 1 : 0;
    }
    pool.shutdown();
    assertThat(ok).isEqualTo(25);
    assertThat(f.show(parent.getName()).getAssociatedCount()).isEqualTo(25);
  }

  @Test
  void p4_no_process_flow_as_child_and_no_flow_with_two_parents() {
    f.capacity(env, Sku.SKU_PROCESS, 3);
    CloudFlow a = f.processFlow(env, owner, 1);
    CloudFlow b = f.processFlow(env, owner, 1);
    CloudFlow plain = f.flow(env, owner);

    assertThat(
            GrpcErrors.reason(
                refused(() -> f.flows.associateFlow(associate(a.getName(), b.getName())))))
        .isEqualTo("P4_PROCESS_FLOW_AS_CHILD");
    assertThat(
            GrpcErrors.reason(
                refused(() -> f.flows.associateFlow(associate(plain.getName(), a.getName())))))
        .as("a flow that is not a process flow cannot be a parent")
        .isEqualTo("P4_PARENT_NOT_PROCESS_FLOW");

    f.flows.associateFlow(associate(a.getName(), plain.getName()));
    assertThat(
            GrpcErrors.reason(
                refused(() -> f.flows.associateFlow(associate(b.getName(), plain.getName())))))
        .isEqualTo("P4_ALREADY_ASSOCIATED");
    assertThat(
            GrpcErrors.reason(
                refused(
                    () ->
                        f.flows.allocateProcess(
                            AllocateProcessRequest.newBuilder()
                                .setFlow(plain.getName())
                                .setEnvironment(env)
                                .setCount(1)
                                .build()))))
        .as("an associated flow cannot become a process flow")
        .isEqualTo("P4_CHILD_CANNOT_BE_PROCESS_FLOW");
    assertThat(
            GrpcErrors.reason(
                refused(
                    () ->
                        f.flows.deallocateProcess(
                            DeallocateProcessRequest.newBuilder()
                                .setFlow(a.getName())
                                .setEnvironment(env)
                                .setCount(1)
                                .build()))))
        .isEqualTo("P4_PARENT_HAS_ASSOCIATED_FLOWS");

    var free =
        f.flows
            .dissociateFlow(
                DissociateFlowRequest.newBuilder()
                    .setFlow(plain.getName())
                    .setEnvironment(env)
                    .build())
            .getFlow();
    assertThat(free.getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_OWNER_LICENSES);
    assertThat(f.flows.associateFlow(associate(b.getName(), plain.getName())).getFlow().getParent())
        .isEqualTo(b.getName());
  }

  @Test
  void p7_a_flow_triggering_runs_on_a_machine_with_bots_inherits_its_plan_not_stacked() {
    CloudFlow flow = f.flow(env, owner);
    String machine = f.machine(env, null, 3);
    assertThat(f.show(flow.getName()).getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_OWNER_LICENSES);
    f.triggeredRun(env, flow.getName(), "MACHINE", machine);

    CloudFlow covered = f.show(flow.getName());
    assertThat(covered.getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_PROCESS_INHERITED_FROM_MACHINE);
    assertThat(covered.getDailyRequestLimit()).as("3 bots, one 250,000 figure").isEqualTo(250_000);
    assertThat(covered.getCoveredBy()).isEqualTo("machine " + machine);

    CloudFlow child = f.flow(env, owner);
    assertThat(
            f.flows.associateFlow(associate(flow.getName(), child.getName())).getFlow().getBucket())
        .as("a covered flow may have associated flows (P4)")
        .isEqualTo("flow:" + flow.getName());

    f.removeBots(machine);
    assertThat(f.show(flow.getName()).getPlan())
        .as("cover ends when the target holds no bot")
        .isEqualTo(FlowPlan.FLOW_PLAN_OWNER_LICENSES);
    assertThat(f.show(child.getName()).getBucket())
        .as("the child falls back to its owner's licenses")
        .isEqualTo("user:" + owner);
  }

  @Test
  void p7_a_group_target_covers_while_any_machine_of_it_holds_a_bot() {
    CloudFlow flow = f.flow(env, owner);
    String group = f.group(env);
    String m1 = f.machine(env, group, 0);
    f.triggeredRun(env, flow.getName(), "GROUP", group);
    assertThat(f.show(flow.getName()).getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_OWNER_LICENSES);
    String m2 = f.machine(env, group, 1);
    assertThat(f.show(flow.getName()).getPlan())
        .isEqualTo(FlowPlan.FLOW_PLAN_PROCESS_INHERITED_FROM_MACHINE);
    assertThat(f.show(flow.getName()).getCoveredBy()).isEqualTo("group " + group);
    f.removeBots(m2);
    assertThat(f.show(flow.getName()).getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_OWNER_LICENSES);
    assertThat(m1).isNotEqualTo(m2);
  }

  @Test
  void p9_at_most_one_per_flow_plan_per_flow() {
    f.capacity(env, Sku.SKU_PER_FLOW, 2);
    CloudFlow flow = f.flow(env, owner);
    var req =
        AllocatePerFlowRequest.newBuilder().setFlow(flow.getName()).setEnvironment(env).build();
    CloudFlow perFlow = f.flows.allocatePerFlow(req).getFlow();
    assertThat(perFlow.getPlan()).isEqualTo(FlowPlan.FLOW_PLAN_PER_FLOW);
    assertThat(perFlow.getDailyRequestLimit()).isEqualTo(250_000);
    var e = refused(() -> f.flows.allocatePerFlow(req));
    assertThat(GrpcErrors.reason(e)).isEqualTo("P9_ONE_PER_FLOW");
    assertThat(f.show(flow.getName()).getDailyRequestLimit()).isEqualTo(250_000);
  }

  @Test
  void l4_free_users_cannot_share_flows() {
    String free = f.user();
    String other = f.user();
    String sandbox = f.env(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX);
    CloudFlow flow = f.flow(sandbox, free);
    var share =
        ShareFlowRequest.newBuilder()
            .setFlow(flow.getName())
            .setEnvironment(sandbox)
            .setUser(other)
            .build();
    var e = refused(() -> f.flows.shareFlow(share));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(GrpcErrors.reason(e)).isEqualTo("L4_NOT_ENTITLED");
    assertThat(e.getStatus().getDescription()).contains("trial start");

    f.licensing.startTrial(StartTrialRequest.newBuilder().setUser(free).build());
    assertThat(f.flows.shareFlow(share).getFlow().getSharedWithList()).containsExactly(other);
  }

  @Test
  void l2_a_premium_connector_flow_needs_an_owner_licensed_for_it() {
    String free = f.user();
    var e =
        refused(
            () ->
                f.flows.createFlow(
                    CreateFlowRequest.newBuilder()
                        .setName(LicensingFixture.name("flow"))
                        .setEnvironment(env)
                        .setOwner(free)
                        .addConnectors(ConnectorTier.CONNECTOR_TIER_PREMIUM)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(GrpcErrors.reason(e)).isEqualTo("L2_NOT_ENTITLED");
    String seeded = f.user(LicenseType.LICENSE_TYPE_POWER_APPS_PREMIUM);
    CloudFlow inApp =
        f.flows
            .createFlow(
                CreateFlowRequest.newBuilder()
                    .setName(LicensingFixture.name("flow"))
                    .setEnvironment(env)
                    .setOwner(seeded)
                    .addConnectors(ConnectorTier.CONNECTOR_TIER_PREMIUM)
                    .setApp("expenses")
                    .build())
            .getFlow();
    assertThat(inApp.getApp()).isEqualTo("expenses");
    assertThat(
            f.flows
                .listFlows(ListFlowsRequest.newBuilder().setEnvironment(env).build())
                .getFlowsList())
        .extracting(CloudFlow::getName)
        .contains(inApp.getName());
  }
}
