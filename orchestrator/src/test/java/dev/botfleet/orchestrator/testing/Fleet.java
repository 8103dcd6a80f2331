package dev.botfleet.orchestrator.testing;

import static org.awaitility.Awaitility.await;

import dev.botfleet.proto.v1.AllocateBotsRequest;
import dev.botfleet.proto.v1.CapacityServiceGrpc;
import dev.botfleet.proto.v1.CapacityServiceGrpc.CapacityServiceBlockingStub;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.GetMachineRequest;
import dev.botfleet.proto.v1.Machine;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import dev.botfleet.proto.v1.MachineServiceGrpc.MachineServiceBlockingStub;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunServiceGrpc.RunServiceBlockingStub;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.SetAutoAllocationRequest;
import dev.botfleet.proto.v1.SetMaintenanceRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.testing.ProtocolAgent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fleet the API contract tests start from (issue 8 §4: one set-up instead of a copy per
 * contract), built through the real API as an admin: environments with process capacity, and
 * machines that are real protocol agents, ONLINE before the test goes on. Closing it closes the
 * agents it enrolled; the orchestrator stays the test's.
 */
public final class Fleet implements AutoCloseable {
  /** The environment most tests use. */
  public static final String ENV = "prod";

  private final TestOrchestrator t;
  public final RunServiceBlockingStub runs;
  public final MachineServiceBlockingStub machines;
  public final CapacityServiceBlockingStub capacity;
  private final List<ProtocolAgent> agents = new CopyOnWriteArrayList<>();

  public Fleet(TestOrchestrator t) {
    this.t = t;
    this.runs = t.admin(RunServiceGrpc::newBlockingStub);
    this.machines = t.admin(MachineServiceGrpc::newBlockingStub);
    this.capacity = t.admin(CapacityServiceGrpc::newBlockingStub);
  }

  /**
   * A PRODUCTION environment {@link #ENV}: {@code purchased} PROCESS units, {@code allocated} to
   * it.
   */
  public Fleet prod(int purchased, int allocated) {
    return environment(ENV, EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
        .purchase(Sku.SKU_PROCESS, purchased)
        .allocate(ENV, Sku.SKU_PROCESS, allocated);
  }

  public Fleet environment(String name, EnvironmentType type) {
    t.admin(EnvironmentServiceGrpc::newBlockingStub)
        .createEnvironment(
            CreateEnvironmentRequest.newBuilder().setName(name).setType(type).build());
    return this;
  }

  public Fleet purchase(Sku sku, int quantity) {
    capacity.createPurchase(
        CreatePurchaseRequest.newBuilder().setSku(sku).setQuantity(quantity).build());
    return this;
  }

  /** Sets the environment's allocation of the SKU (absolute, C2). */
  public Fleet allocate(String env, Sku sku, int quantity) {
    capacity.setAllocation(
        SetAllocationRequest.newBuilder()
            .setEnvironment(env)
            .setSku(sku)
            .setQuantity(quantity)
            .build());
    return this;
  }

  /** Enrols and connects a protocol agent as machine {@code name}, and waits until it is ONLINE. */
  public ProtocolAgent agent(String env, String name, int maxSessions) {
    String token =
        machines
            .createJoinToken(CreateJoinTokenRequest.newBuilder().setEnvironment(env).build())
            .getToken();
    ProtocolAgent a = ProtocolAgent.enroll(t.channel(), token, name, maxSessions).connect();
    agents.add(a);
    await().until(() -> machine(env, name).getStatus() == MachineStatus.MACHINE_STATUS_ONLINE);
    return a;
  }

  public Machine machine(String env, String name) {
    return machines
        .getMachine(GetMachineRequest.newBuilder().setEnvironment(env).setMachine(name).build())
        .getMachine();
  }

  public Fleet bots(String env, String machine, int count) {
    machines.allocateBots(
        AllocateBotsRequest.newBuilder()
            .setEnvironment(env)
            .setMachine(machine)
            .setCount(count)
            .build());
    return this;
  }

  public Fleet autoAllocation(String env, String machine, boolean on) {
    machines.setAutoAllocation(
        SetAutoAllocationRequest.newBuilder()
            .setEnvironment(env)
            .setMachine(machine)
            .setEnabled(on)
            .build());
    return this;
  }

  public Fleet maintenance(String env, String machine, boolean on) {
    machines.setMaintenance(
        SetMaintenanceRequest.newBuilder()
            .setEnvironment(env)
            .setMachine(machine)
            .setEnabled(on)
            .build());
    return this;
  }

  @Override
  public void close() {
    agents.forEach(ProtocolAgent::close);
  }
}
