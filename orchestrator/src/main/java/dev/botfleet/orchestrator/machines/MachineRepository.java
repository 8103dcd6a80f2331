package dev.botfleet.orchestrator.machines;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public interface MachineRepository {
  void insertJoinToken(JoinToken token, String tokenHash, String createdBy, Instant createdAt);

  /** The token row by hash, locked until the transaction ends. */
  Optional<JoinToken> findJoinTokenForUpdate(String tokenHash);

  Optional<JoinToken> findJoinToken(String id);

  void markJoinTokenUsed(String id, String machineId, Instant at);

  void revokeJoinToken(String id);

  /** False when the name is taken in the environment. */
  boolean insertMachine(Machine machine, String credentialHash);

  Optional<Machine> find(String id);

  /** Locks the machine row: serialises bot allocation (P5) and settings changes. */
  Optional<Machine> findForUpdate(String id);

  Optional<Machine> findByName(String environmentId, String name);

  /** The machine holding a credential, removed or not. */
  Optional<String> findIdByCredentialHash(String credentialHash);

  /** The most recently removed machine that had this name in the environment (issue 12 §3). */
  Optional<Machine> findRemovedByName(String environmentId, String name);

  /**
   * Marks the machine REMOVED (issue 12 §3): frees its name, revokes its credential (Hello is
   * refused), OFFLINE and connected nowhere; its bots must be deleted by the caller. False when it
   * was removed already.
   */
  boolean markRemoved(String id, Instant at);

  /** Of {@code ids}, those that are removed: a replica ends their streams (issue 12 §3). */
  java.util.Set<String> removedAmong(Collection<String> ids);

  /** Machines of an environment that are not removed, by name. */
  List<Machine> list(String environmentId);

  /** The client certificates the machine may present (issue 12 §1); empty for an unknown id. */
  Optional<CertificateSerials> certificateSerials(String machineId);

  /**
   * Makes {@code serial} the machine's certificate; with {@code keepPrevious} the current one stays
   * acceptable until the new one is seen (renewal), else it is revoked at once. Either way a
   * requested rotation is done.
   */
  void setCertificate(String machineId, String serial, Instant expiresAt, boolean keepPrevious);

  /** The new certificate was presented: the previous one is no longer accepted. */
  void dropPreviousCertificate(String machineId);

  /** Marks a certificate rotation as due (cleared by the next {@link #setCertificate}). */
  void requestCertificateRotation(String machineId, Instant at);

  List<Machine> listByIds(Collection<String> ids);

  List<Machine> listInGroup(String groupId);

  void updateCapacity(String id, MachineCapacity capacity);

  void updateSettings(String id, boolean autoAllocation, boolean maintenance);

  void setGroup(String machineId, String groupId);

  /** Marks the machine ONLINE, connected to {@code replica}, seen at {@code at}. */
  void markConnected(String id, String replica, Instant at);

  /**
   * Heartbeats of many machines in one round trip; never moves last_heartbeat backwards. With a
   * {@code replica}, each is a heartbeat on a live stream of that replica, which is proof of life:
   * a machine marked OFFLINE meanwhile is ONLINE again (issue 7). Without, only the time moves.
   */
  void touch(Map<String, Instant> lastSeen, String replica);

  /** ONLINE machines not seen since {@code before}. */
  List<String> staleOnline(Instant before);

  /**
   * OFFLINE machines not seen since {@code before} that still hold active runs: loss detection must
   * cover every machine holding runs, not only those whose status moved (R5, issue 7).
   */
  List<String> silentHoldingRuns(Instant before);

  /** Conditional ONLINE → OFFLINE; false when someone else did it or it was seen meanwhile. */
  boolean markOffline(String id, Instant before);

  // Bots

  boolean machineHasBot(String machineId);

  boolean groupHasBot(String groupId);

  void insertBot(Bot bot);

  List<Bot> bots(String machineId);

  /** Bots of many machines in one round trip. */
  List<Bot> botsOfMachines(java.util.Collection<String> machineIds);

  Optional<Bot> bot(String botId);

  List<Bot> botsInEnvironment(String environmentId);

  /** Deletes a bot only if it carries no run; false otherwise. */
  boolean deleteFreeBot(String botId);

  void deleteBot(String botId);

  /** Process-pool units held by bots, per environment (P1). */
  Map<String, Long> processBotsByEnvironment();

  long processBots(String environmentId);

  // Groups

  boolean insertGroup(MachineGroup group);

  Optional<MachineGroup> findGroup(String environmentId, String name);

  Optional<MachineGroup> findGroupById(String id);

  List<MachineGroup> groups(String environmentId);
}
