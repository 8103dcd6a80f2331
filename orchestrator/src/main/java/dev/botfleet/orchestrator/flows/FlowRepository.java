package dev.botfleet.orchestrator.flows;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cloud flows, shares and what P7 needs to know about runs and bots. Called inside transactions.
 */
public interface FlowRepository {
  /** False when the name is taken in that environment. */
  boolean insert(CloudFlow flow);

  /** With {@code forUpdate} the flow row stays locked until the transaction ends (P4 bound). */
  Optional<CloudFlow> find(String environmentId, String name, boolean forUpdate);

  Optional<CloudFlow> findById(String id, boolean forUpdate);

  List<CloudFlow> list(String environmentId);

  List<CloudFlow> children(String parentId);

  int countChildren(String parentId);

  void updateProcessUnits(String id, int units);

  void updatePerFlow(String id, boolean perFlow);

  void updateParent(String id, String parentId);

  /** False when already shared. */
  boolean insertShare(String flowId, String userId, Instant at);

  List<String> sharedWithUserIds(String flowId);

  /**
   * P7: the target (machine or group) of a run the flow triggered in its environment that holds at
   * least one bot now, as "machine NAME" or "group NAME"; empty when none does.
   */
  Optional<String> coveringTarget(String environmentId, String flowName);

  /** Process units allocated to flows, per environment id (P3, C3). */
  Map<String, Long> processUnitsByEnvironment();

  /** Per-flow plans allocated to flows, per environment id (P9, C3). */
  Map<String, Long> perFlowPlansByEnvironment();
}
