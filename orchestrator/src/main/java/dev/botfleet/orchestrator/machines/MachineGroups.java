package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Standard machine groups: creating them, adding machines, finding them; runs can target one. */
public final class MachineGroups {
  private final Transactions tx;
  private final MachineRepository machines;
  private final Machines registry;
  private final EnvironmentService environments;
  private final AuditLog audit;
  private final Clock clock;
  private final Map<String, String> groupIds = new ConcurrentHashMap<>();
  private final Map<String, String> names = new ConcurrentHashMap<>();

  public MachineGroups(
      Transactions tx,
      MachineRepository machines,
      Machines registry,
      EnvironmentService environments,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.registry = requireNonNull(registry, "registry");
    this.environments = requireNonNull(environments, "environments");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  public MachineGroup createGroup(Principal caller, String name, String environmentName) {
    Names.require("group", name);
    Environment env = environments.require(environmentName);
    Access.requireAdminOf(caller, env.id(), env.name(), "create groups in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          MachineGroup g = new MachineGroup(Ids.newId("grp"), env.id(), name, clock.instant());
          if (!machines.insertGroup(g)) {
            throw BotfleetException.alreadyExists(
                ErrorReason.GROUP_EXISTS,
                "group '" + name + "' already exists in '" + env.name() + "'");
          }
          audit.append(
              clock.instant(),
              caller.name(),
              "group.create",
              "environment=" + env.name() + " group=" + name,
              null,
              g.id());
          return g;
        });
  }

  public MachineGroup addToGroup(Principal caller, String groupName, String machineId) {
    Machine m = registry.require(machineId);
    Environment env = environments.requireById(m.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "change groups in '" + env.name() + "'");
    MachineGroup g =
        tx.inTransaction(
            () -> {
              MachineGroup group = requireGroup(env, groupName);
              machines.findForUpdate(m.id());
              machines.setGroup(m.id(), group.id());
              audit.append(
                  clock.instant(),
                  caller.name(),
                  "group.add",
                  "group=" + group.name(),
                  m.groupId(),
                  m.name());
              return group;
            });
    registry.changed(m.id());
    return g;
  }

  public MachineGroup requireGroup(Environment env, String name) {
    return tx.inTransaction(() -> machines.findGroup(env.id(), name))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.GROUP_NOT_FOUND,
                    "group '" + name + "' does not exist in '" + env.name() + "'"));
  }

  public MachineGroup requireGroupById(String id) {
    return tx.inTransaction(() -> machines.findGroupById(id)).orElseThrow();
  }

  public List<MachineGroup> groups(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(() -> machines.groups(env.id()));
  }

  /** A group's id by name in an environment; groups are never renamed, so it is remembered. */
  public String resolveGroupIdIn(Environment env, String name) {
    String key = env.id() + "/" + name;
    String id = groupIds.get(key);
    if (id == null) {
      id = requireGroup(env, name).id();
      groupIds.put(key, id);
    }
    return id;
  }

  /** A group's name by id (never renamed). */
  public String groupNameOf(String groupId) {
    return names.computeIfAbsent(groupId, id -> requireGroupById(id).name());
  }
}
