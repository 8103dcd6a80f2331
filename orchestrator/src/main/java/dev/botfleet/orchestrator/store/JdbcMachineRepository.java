package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.machines.Bot;
import dev.botfleet.orchestrator.machines.CertificateSerials;
import dev.botfleet.orchestrator.machines.JoinToken;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.MachineCapacity;
import dev.botfleet.orchestrator.machines.MachineGroup;
import dev.botfleet.orchestrator.machines.MachineRepository;
import dev.botfleet.orchestrator.machines.MachineStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

public final class JdbcMachineRepository implements MachineRepository {
  /** Machines with their bot counts in one query. */
  private static final String SELECT =
      "SELECT m.*, (SELECT COUNT(*) FROM bot b WHERE b.machine_id = m.id) AS bots,"
          + " (SELECT COUNT(*) FROM bot b WHERE b.machine_id = m.id AND b.current_run_id IS NOT NULL) AS busy_bots"
          + " FROM machine m ";

  private final Jdbc jdbc;

  public JdbcMachineRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void insertJoinToken(JoinToken t, String tokenHash, String createdBy, Instant createdAt) {
    jdbc.update(
        "INSERT INTO join_token (id, token_hash, environment_id, group_id, expires_at, used_at, used_by_machine, revoked, created_by, created_at)"
            + " VALUES (?, ?, ?, ?, ?, NULL, NULL, FALSE, ?, ?)",
        t.id(),
        tokenHash,
        t.environmentId(),
        t.groupId(),
        t.expiresAt(),
        createdBy,
        createdAt);
  }

  @Override
  public Optional<JoinToken> findJoinTokenForUpdate(String tokenHash) {
    return jdbc.queryOne(
        "SELECT * FROM join_token WHERE token_hash = ? FOR UPDATE",
        JdbcMachineRepository::joinToken,
        tokenHash);
  }

  @Override
  public Optional<JoinToken> findJoinToken(String id) {
    return jdbc.queryOne(
        "SELECT * FROM join_token WHERE id = ?", JdbcMachineRepository::joinToken, id);
  }

  @Override
  public void markJoinTokenUsed(String id, String machineId, Instant at) {
    jdbc.update(
        "UPDATE join_token SET used_at = ?, used_by_machine = ? WHERE id = ?", at, machineId, id);
  }

  @Override
  public void revokeJoinToken(String id) {
    jdbc.update("UPDATE join_token SET revoked = TRUE WHERE id = ?", id);
  }

  @Override
  public boolean insertMachine(Machine m, String credentialHash) {
    MachineCapacity c = m.capacity();
    return jdbc.update(
            "INSERT INTO machine (id, environment_id, name, group_id, credential_hash, os_family, os_version, hostname, logical_cpus,"
                + " memory_bytes, active_sessions, max_sessions, installed_flows, agent_version, auto_allocation, maintenance, status,"
                + " last_heartbeat, enrolled_at, connected_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                + " ON CONFLICT DO NOTHING",
            m.id(),
            m.environmentId(),
            m.name(),
            m.groupId(),
            credentialHash,
            c.osFamily(),
            clip(c.osVersion(), 128),
            clip(c.hostname(), 255),
            c.logicalCpus(),
            c.memoryBytes(),
            c.activeSessions(),
            c.maxSessions(),
            flows(c.installedFlows()),
            clip(c.agentVersion(), 64),
            m.autoAllocation(),
            m.maintenance(),
            m.status(),
            m.lastHeartbeat(),
            m.enrolledAt())
        == 1;
  }

  @Override
  public Optional<Machine> find(String id) {
    return jdbc.queryOne(SELECT + "WHERE m.id = ?", JdbcMachineRepository::machine, id);
  }

  @Override
  public Optional<Machine> findForUpdate(String id) {
    jdbc.query("SELECT id FROM machine WHERE id = ? FOR UPDATE", rs -> rs.getString(1), id);
    return find(id);
  }

  @Override
  public Optional<Machine> findByName(String environmentId, String name) {
    return jdbc.queryOne(
        SELECT + "WHERE m.environment_id = ? AND m.name = ? AND m.removed_at IS NULL",
        JdbcMachineRepository::machine,
        environmentId,
        name);
  }

  @Override
  public Optional<String> findIdByCredentialHash(String credentialHash) {
    return jdbc.queryOne(
        "SELECT id FROM machine WHERE credential_hash = ?", rs -> rs.getString(1), credentialHash);
  }

  @Override
  public Optional<CertificateSerials> certificateSerials(String machineId) {
    return jdbc.queryOne(
        "SELECT cert_serial, prev_cert_serial, rotation_requested_at FROM machine WHERE id = ?",
        rs -> new CertificateSerials(rs.getString(1), rs.getString(2), rs.getObject(3) != null),
        machineId);
  }

  @Override
  public void setCertificate(
      String machineId, String serial, Instant expiresAt, boolean keepPrevious) {
    jdbc.update(
        keepPrevious
            ? "UPDATE machine SET prev_cert_serial = cert_serial, cert_serial = ?, cert_expires_at = ?,"
                + " rotation_requested_at = NULL WHERE id = ?"
            : "UPDATE machine SET prev_cert_serial = NULL, cert_serial = ?, cert_expires_at = ?,"
                + " rotation_requested_at = NULL WHERE id = ?",
        serial,
        expiresAt,
        machineId);
  }

  @Override
  public void requestCertificateRotation(String machineId, Instant at) {
    jdbc.update("UPDATE machine SET rotation_requested_at = ? WHERE id = ?", at, machineId);
  }

  @Override
  public void dropPreviousCertificate(String machineId) {
    jdbc.update(
        "UPDATE machine SET prev_cert_serial = NULL WHERE id = ? AND prev_cert_serial IS NOT NULL",
        machineId);
  }

  @Override
  public Optional<Machine> findRemovedByName(String environmentId, String name) {
    return jdbc.queryOne(
        SELECT
            + "WHERE m.environment_id = ? AND m.name = ? AND m.removed_at IS NOT NULL"
            + " ORDER BY m.removed_at DESC LIMIT 1",
        JdbcMachineRepository::machine,
        environmentId,
        name);
  }

  @Override
  public boolean markRemoved(String id, Instant at) {
    return jdbc.update(
            "UPDATE machine SET removed_at = ?, removal_tag = id, status = 'OFFLINE', connected_to = NULL"
                + " WHERE id = ? AND removed_at IS NULL",
            at,
            id)
        == 1;
  }

  @Override
  public Set<String> removedAmong(Collection<String> ids) {
    Set<String> result = new HashSet<>();
    List<String> all = new ArrayList<>(ids);
    for (int from = 0; from < all.size(); from += 500) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
      String in = chunk.stream().map(x -> "?").collect(Collectors.joining(","));
      result.addAll(
          jdbc.query(
              "SELECT id FROM machine WHERE removed_at IS NOT NULL AND id IN (" + in + ")",
              rs -> rs.getString(1),
              chunk.toArray()));
    }
    return result;
  }

  @Override
  public List<Machine> list(String environmentId) {
    return jdbc.query(
        SELECT + "WHERE m.environment_id = ? AND m.removed_at IS NULL ORDER BY m.name",
        JdbcMachineRepository::machine,
        environmentId);
  }

  @Override
  public List<Machine> listByIds(Collection<String> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    List<Machine> result = new ArrayList<>();
    List<String> all = new ArrayList<>(ids);
    for (int from = 0; from < all.size(); from += 500) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
      String in = chunk.stream().map(x -> "?").collect(Collectors.joining(","));
      result.addAll(
          jdbc.query(
              SELECT + "WHERE m.id IN (" + in + ")",
              JdbcMachineRepository::machine,
              chunk.toArray()));
    }
    return result;
  }

  @Override
  public List<Machine> listInGroup(String groupId) {
    return jdbc.query(
        SELECT + "WHERE m.group_id = ? AND m.removed_at IS NULL ORDER BY m.name",
        JdbcMachineRepository::machine,
        groupId);
  }

  @Override
  public void updateCapacity(String id, MachineCapacity c) {
    jdbc.update(
        "UPDATE machine SET os_family = ?, os_version = ?, hostname = ?, logical_cpus = ?, memory_bytes = ?, active_sessions = ?,"
            + " max_sessions = ?, installed_flows = ?, agent_version = ? WHERE id = ?",
        c.osFamily(),
        clip(c.osVersion(), 128),
        clip(c.hostname(), 255),
        c.logicalCpus(),
        c.memoryBytes(),
        c.activeSessions(),
        c.maxSessions(),
        flows(c.installedFlows()),
        clip(c.agentVersion(), 64),
        id);
  }

  @Override
  public void updateSettings(String id, boolean autoAllocation, boolean maintenance) {
    jdbc.update(
        "UPDATE machine SET auto_allocation = ?, maintenance = ? WHERE id = ?",
        autoAllocation,
        maintenance,
        id);
  }

  @Override
  public void setGroup(String machineId, String groupId) {
    jdbc.update("UPDATE machine SET group_id = ? WHERE id = ?", groupId, machineId);
  }

  @Override
  public void markConnected(String id, String replica, Instant at) {
    jdbc.update(
        "UPDATE machine SET status = 'ONLINE', connected_to = ?, last_heartbeat = ? WHERE id = ? AND removed_at IS NULL",
        replica,
        at,
        id);
  }

  @Override
  public void touch(Map<String, Instant> lastSeen, String replica) {
    List<Object[]> rows = new ArrayList<>();
    if (replica == null) {
      lastSeen.forEach((id, at) -> rows.add(new Object[] {at, id, at}));
      jdbc.batch("UPDATE machine SET last_heartbeat = ? WHERE id = ? AND last_heartbeat < ?", rows);
      return;
    }
    // The last_heartbeat guard also keeps an old, half-dead stream on another replica from
    // claiming a machine that has since connected elsewhere: its last-seen time is older.
    lastSeen.forEach((id, at) -> rows.add(new Object[] {at, replica, id, at}));
    jdbc.batch(
        "UPDATE machine SET last_heartbeat = ?, status = 'ONLINE', connected_to = ? WHERE id = ? AND last_heartbeat < ?"
            + " AND removed_at IS NULL",
        rows);
  }

  @Override
  public List<String> silentHoldingRuns(Instant before) {
    return jdbc.query(
        "SELECT DISTINCT m.id FROM run r JOIN machine m ON m.id = r.machine_id"
            + " WHERE r.state IN ('ASSIGNED', 'RUNNING') AND r.ended_at IS NULL"
            + " AND m.status = 'OFFLINE' AND m.last_heartbeat < ?",
        rs -> rs.getString(1),
        before);
  }

  @Override
  public List<String> staleOnline(Instant before) {
    return jdbc.query(
        "SELECT id FROM machine WHERE status = 'ONLINE' AND last_heartbeat < ?",
        rs -> rs.getString(1),
        before);
  }

  @Override
  public boolean markOffline(String id, Instant before) {
    return jdbc.update(
            "UPDATE machine SET status = 'OFFLINE', connected_to = NULL WHERE id = ? AND status = 'ONLINE' AND last_heartbeat < ?",
            id,
            before)
        == 1;
  }

  @Override
  public boolean machineHasBot(String machineId) {
    return jdbc.queryOne("SELECT 1 FROM bot WHERE machine_id = ? LIMIT 1", rs -> 1, machineId)
        .isPresent();
  }

  @Override
  public boolean groupHasBot(String groupId) {
    return jdbc.queryOne(
            "SELECT 1 FROM bot b JOIN machine m ON m.id = b.machine_id WHERE m.group_id = ? LIMIT 1",
            rs -> 1,
            groupId)
        .isPresent();
  }

  @Override
  public void insertBot(Bot b) {
    jdbc.update(
        "INSERT INTO bot (id, machine_id, environment_id, source, sku, current_run_id, allocated_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
        b.id(),
        b.machineId(),
        b.environmentId(),
        b.source(),
        b.sku(),
        b.allocatedAt());
  }

  @Override
  public List<Bot> bots(String machineId) {
    return jdbc.query(
        "SELECT * FROM bot WHERE machine_id = ? ORDER BY allocated_at, id",
        JdbcMachineRepository::bot,
        machineId);
  }

  @Override
  public List<Bot> botsOfMachines(Collection<String> machineIds) {
    List<Bot> result = new ArrayList<>();
    List<String> all = new ArrayList<>(machineIds);
    for (int from = 0; from < all.size(); from += 500) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
      String in = chunk.stream().map(x -> "?").collect(Collectors.joining(","));
      result.addAll(
          jdbc.query(
              "SELECT * FROM bot WHERE machine_id IN (" + in + ")",
              JdbcMachineRepository::bot,
              chunk.toArray()));
    }
    return result;
  }

  @Override
  public Optional<Bot> bot(String botId) {
    return jdbc.queryOne("SELECT * FROM bot WHERE id = ?", JdbcMachineRepository::bot, botId);
  }

  @Override
  public List<Bot> botsInEnvironment(String environmentId) {
    return jdbc.query(
        "SELECT * FROM bot WHERE environment_id = ? ORDER BY machine_id, allocated_at",
        JdbcMachineRepository::bot,
        environmentId);
  }

  @Override
  public boolean deleteFreeBot(String botId) {
    return jdbc.update("DELETE FROM bot WHERE id = ? AND current_run_id IS NULL", botId) == 1;
  }

  @Override
  public void deleteBot(String botId) {
    jdbc.update("DELETE FROM bot WHERE id = ?", botId);
  }

  @Override
  public Map<String, Long> processBotsByEnvironment() {
    Map<String, Long> result = new HashMap<>();
    jdbc.query(
        "SELECT environment_id, COUNT(*) AS n FROM bot WHERE sku = 'PROCESS' GROUP BY environment_id",
        rs -> result.put(rs.getString("environment_id"), rs.getLong("n")));
    return result;
  }

  @Override
  public long processBots(String environmentId) {
    return jdbc.queryLong(
        "SELECT COUNT(*) FROM bot WHERE environment_id = ? AND sku = 'PROCESS'", environmentId);
  }

  @Override
  public boolean insertGroup(MachineGroup g) {
    return jdbc.update(
            "INSERT INTO machine_group (id, environment_id, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            g.id(),
            g.environmentId(),
            g.name(),
            g.createdAt())
        == 1;
  }

  @Override
  public Optional<MachineGroup> findGroup(String environmentId, String name) {
    return jdbc.queryOne(
        "SELECT * FROM machine_group WHERE environment_id = ? AND name = ?",
        JdbcMachineRepository::group,
        environmentId,
        name);
  }

  @Override
  public Optional<MachineGroup> findGroupById(String id) {
    return jdbc.queryOne(
        "SELECT * FROM machine_group WHERE id = ?", JdbcMachineRepository::group, id);
  }

  @Override
  public List<MachineGroup> groups(String environmentId) {
    return jdbc.query(
        "SELECT * FROM machine_group WHERE environment_id = ? ORDER BY name",
        JdbcMachineRepository::group,
        environmentId);
  }

  private static MachineGroup group(ResultSet rs) throws SQLException {
    return new MachineGroup(
        rs.getString("id"),
        rs.getString("environment_id"),
        rs.getString("name"),
        Jdbc.instant(rs, "created_at"));
  }

  private static JoinToken joinToken(ResultSet rs) throws SQLException {
    return new JoinToken(
        rs.getString("id"),
        rs.getString("environment_id"),
        rs.getString("group_id"),
        Jdbc.instant(rs, "expires_at"),
        Jdbc.instant(rs, "used_at"),
        rs.getBoolean("revoked"));
  }

  private static Bot bot(ResultSet rs) throws SQLException {
    return new Bot(
        rs.getString("id"),
        rs.getString("machine_id"),
        rs.getString("environment_id"),
        Bot.Source.valueOf(rs.getString("source")),
        Sku.valueOf(rs.getString("sku")),
        rs.getString("current_run_id"),
        Jdbc.instant(rs, "allocated_at"));
  }

  private static Machine machine(ResultSet rs) throws SQLException {
    String flows = rs.getString("installed_flows");
    MachineCapacity c =
        new MachineCapacity(
            rs.getString("os_family"),
            rs.getString("os_version"),
            rs.getString("hostname"),
            rs.getInt("logical_cpus"),
            rs.getLong("memory_bytes"),
            rs.getInt("active_sessions"),
            rs.getInt("max_sessions"),
            flows == null || flows.isEmpty() ? List.of() : Arrays.asList(flows.split(",")),
            rs.getString("agent_version"));
    return new Machine(
        rs.getString("id"),
        rs.getString("environment_id"),
        rs.getString("name"),
        rs.getString("group_id"),
        c,
        rs.getBoolean("auto_allocation"),
        rs.getBoolean("maintenance"),
        rs.getTimestamp("removed_at") != null
            ? MachineStatus.REMOVED
            : MachineStatus.valueOf(rs.getString("status")),
        Jdbc.instant(rs, "last_heartbeat"),
        Jdbc.instant(rs, "enrolled_at"),
        rs.getInt("bots"),
        rs.getInt("busy_bots"),
        Jdbc.instant(rs, "removed_at"));
  }

  private static String flows(List<String> names) {
    String joined = String.join(",", names);
    return joined.length() <= 8000 ? joined : joined.substring(0, joined.lastIndexOf(',', 8000));
  }

  private static String clip(String s, int max) {
    return s == null ? "" : s.length() <= max ? s : s.substring(0, max);
  }
}
