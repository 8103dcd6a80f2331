package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.environments.Environment;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Transitional view over the split machine classes for the callers that still take it: {@code
 * runs/} (RunService, Dispatcher, RunSweeper) and {@code api/AgentApi}, which are being rewritten
 * in parallel, and {@code cli/DemoCommand} (issue 8 §3). It holds no state and no rules; each
 * method hands over to its owner: {@link Machines} (queries, reports, liveness), {@link
 * MachineGroups}, {@link Enrolment} and {@link UnattendedBots}. New code takes those classes; once
 * runs/ and AgentApi do, delete this one.
 */
public final class MachineService {
  private final Machines machines;
  private final MachineGroups groups;
  private final Enrolment enrolment;
  private final UnattendedBots bots;

  public MachineService(
      Machines machines, MachineGroups groups, Enrolment enrolment, UnattendedBots bots) {
    this.machines = requireNonNull(machines, "machines");
    this.groups = requireNonNull(groups, "groups");
    this.enrolment = requireNonNull(enrolment, "enrolment");
    this.bots = requireNonNull(bots, "bots");
  }

  // ------------------------------------------------------------------ Enrolment (A1, A3 Hello)

  public Enrolment.Enrolled enroll(
      String joinToken, MachineCapacity capacityReport, String machineName) {
    return enrolment.enroll(joinToken, capacityReport, machineName);
  }

  public Enrolment.CreatedJoinToken createJoinToken(
      Principal caller, String environmentName, String groupName, Duration ttl) {
    return enrolment.createJoinToken(caller, environmentName, groupName, ttl);
  }

  public Machine hello(
      String machineId, String credential, MachineCapacity report, String replica) {
    return enrolment.hello(machineId, credential, report, replica);
  }

  // ------------------------------------------------------------------ Machines (A2, A3, queries)

  public void addListener(MachineListener listener) {
    machines.addListener(listener);
  }

  public void capacityChanged(String machineId, MachineCapacity report) {
    machines.capacityChanged(machineId, report);
  }

  public void heartbeats(Map<String, Instant> lastSeen, String replica) {
    machines.heartbeats(lastSeen, replica);
  }

  public void lastSeen(String machineId, Instant at) {
    machines.lastSeen(machineId, at);
  }

  public List<String> silentHoldingRuns(Instant before) {
    return machines.silentHoldingRuns(before);
  }

  public List<String> markStaleOffline(Instant before) {
    return machines.markStaleOffline(before);
  }

  public List<Machine> list(String environmentName) {
    return machines.list(environmentName);
  }

  public Machine require(String id) {
    return machines.require(id);
  }

  public String resolveIdIn(String environmentId, String nameOrId) {
    return machines.resolveIdIn(environmentId, nameOrId);
  }

  public boolean targetHasBot(boolean group, String targetId) {
    return machines.targetHasBot(group, targetId);
  }

  public String nameOf(String machineId) {
    return machines.nameOf(machineId);
  }

  public List<Machine> listByIds(Collection<String> ids) {
    return machines.listByIds(ids);
  }

  public List<Machine> machinesInGroup(String groupId) {
    return machines.machinesInGroup(groupId);
  }

  public List<Bot> botsOfMachines(Collection<String> machineIds) {
    return machines.botsOfMachines(machineIds);
  }

  // ------------------------------------------------------------------ MachineGroups

  public String resolveGroupIdIn(Environment env, String name) {
    return groups.resolveGroupIdIn(env, name);
  }

  public String groupNameOf(String groupId) {
    return groups.groupNameOf(groupId);
  }

  public MachineGroup requireGroupById(String id) {
    return groups.requireGroupById(id);
  }

  // ------------------------------------------------------------------ UnattendedBots (P6, P10)

  public void setRunControl(RunControl runs) {
    bots.setRunControl(runs);
  }

  public Bot autoAllocate(String machineId) {
    return bots.autoAllocate(machineId);
  }
}
