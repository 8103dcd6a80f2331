package dev.botfleet.orchestrator.api;

import dev.botfleet.orchestrator.runs.WaitReason;
import dev.botfleet.proto.v1.OsFamily;
import dev.botfleet.proto.v1.ProcessUnitHolder;
import dev.botfleet.proto.v1.ProcessUnitSource;
import dev.botfleet.proto.v1.RunFailureReason;
import dev.botfleet.proto.v1.UsageSubject;
import dev.botfleet.proto.v1.WaitCode;
import java.util.Map;

/**
 * Closed sets the domain keeps as text (they are stored in text columns and logged as such), paired
 * with their {@code botfleet.v1} enums (issue 8: closed sets are enums on the wire). Like {@link
 * ProtoEnums}, written out pair by pair; {@code ProtoCodesTest} checks that every wire value is
 * reachable.
 */
final class ProtoCodes {
  private ProtoCodes() {}

  static final Map<String, OsFamily> OS_FAMILY =
      Map.of(
          "WINDOWS", OsFamily.OS_FAMILY_WINDOWS,
          "LINUX", OsFamily.OS_FAMILY_LINUX,
          "MACOS", OsFamily.OS_FAMILY_MACOS,
          "OTHER", OsFamily.OS_FAMILY_OTHER);

  static final Map<String, WaitCode> WAIT_CODE =
      Map.of(
          WaitReason.NO_MACHINE_ONLINE, WaitCode.WAIT_CODE_NO_MACHINE_ONLINE,
          WaitReason.ALL_BOTS_BUSY, WaitCode.WAIT_CODE_ALL_BOTS_BUSY,
          WaitReason.AUTO_ALLOCATION_OFF, WaitCode.WAIT_CODE_AUTO_ALLOCATION_OFF,
          WaitReason.NO_PROCESS_CAPACITY, WaitCode.WAIT_CODE_NO_PROCESS_CAPACITY,
          WaitReason.MAX_SESSIONS_REACHED, WaitCode.WAIT_CODE_MAX_SESSIONS_REACHED,
          WaitReason.MACHINE_IN_MAINTENANCE, WaitCode.WAIT_CODE_MACHINE_IN_MAINTENANCE,
          WaitReason.GROUP_THROTTLED, WaitCode.WAIT_CODE_GROUP_THROTTLED,
          WaitReason.DISPATCHING, WaitCode.WAIT_CODE_DISPATCHING,
          WaitReason.OVER_CAPACITY, WaitCode.WAIT_CODE_OVER_CAPACITY,
          WaitReason.FLOW_NOT_INSTALLED, WaitCode.WAIT_CODE_FLOW_NOT_INSTALLED);

  /** Failure codes the orchestrator and agents store, except EXIT_CODE_n (see below). */
  static final Map<String, RunFailureReason> FAILURE_REASON =
      Map.ofEntries(
          Map.entry("AGENT_LOST", RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST),
          Map.entry("QUEUE_TIMEOUT", RunFailureReason.RUN_FAILURE_REASON_QUEUE_TIMEOUT),
          Map.entry("TIMED_OUT", RunFailureReason.RUN_FAILURE_REASON_RUN_TIMEOUT),
          Map.entry("FLOW_NOT_INSTALLED", RunFailureReason.RUN_FAILURE_REASON_FLOW_NOT_INSTALLED),
          Map.entry("CANCELLED_BY_USER", RunFailureReason.RUN_FAILURE_REASON_CANCELLED_BY_USER),
          Map.entry("BOT_DEALLOCATED", RunFailureReason.RUN_FAILURE_REASON_BOT_DEALLOCATED),
          Map.entry("DISPATCH_FAILED", RunFailureReason.RUN_FAILURE_REASON_DISPATCH_FAILED),
          Map.entry("REPORT_NOT_STORABLE", RunFailureReason.RUN_FAILURE_REASON_REPORT_NOT_STORABLE),
          Map.entry("CANCELLED", RunFailureReason.RUN_FAILURE_REASON_CANCELLED_ON_AGENT),
          Map.entry("AGENT_ERROR", RunFailureReason.RUN_FAILURE_REASON_AGENT_ERROR),
          Map.entry("MACHINE_REMOVED", RunFailureReason.RUN_FAILURE_REASON_MACHINE_REMOVED));

  /** P8 holders as ProcessUnitHolder.Held names them. */
  static final Map<String, ProcessUnitHolder> PROCESS_UNIT_HOLDER =
      Map.of(
          "machine", ProcessUnitHolder.PROCESS_UNIT_HOLDER_MACHINE,
          "flow", ProcessUnitHolder.PROCESS_UNIT_HOLDER_FLOW);

  /** P8 sources: a bot's source (Bot.Source) or a flow's plan. */
  static final Map<String, ProcessUnitSource> PROCESS_UNIT_SOURCE =
      Map.of(
          "MANUAL", ProcessUnitSource.PROCESS_UNIT_SOURCE_MANUAL,
          "AUTO", ProcessUnitSource.PROCESS_UNIT_SOURCE_AUTO,
          "PROCESS", ProcessUnitSource.PROCESS_UNIT_SOURCE_PROCESS_PLAN);

  /** M6 contributors as the metering store names them. */
  static final Map<String, UsageSubject> USAGE_SUBJECT =
      Map.of("flow", UsageSubject.USAGE_SUBJECT_FLOW, "user", UsageSubject.USAGE_SUBJECT_USER);

  private static final String EXIT_CODE = "EXIT_CODE";

  private static final Map<OsFamily, String> OS_FAMILY_CODES = inverse(OS_FAMILY);
  private static final Map<RunFailureReason, String> FAILURE_CODES = inverse(FAILURE_REASON);

  private static <K, V> Map<V, K> inverse(Map<K, V> m) {
    Map<V, K> inverse = new java.util.HashMap<>();
    m.forEach((k, v) -> inverse.put(v, k));
    return Map.copyOf(inverse);
  }

  static ProcessUnitHolder processUnitHolder(String domain) {
    return PROCESS_UNIT_HOLDER.getOrDefault(
        domain, ProcessUnitHolder.PROCESS_UNIT_HOLDER_UNSPECIFIED);
  }

  static ProcessUnitSource processUnitSource(String domain) {
    return PROCESS_UNIT_SOURCE.getOrDefault(
        domain, ProcessUnitSource.PROCESS_UNIT_SOURCE_UNSPECIFIED);
  }

  static UsageSubject usageSubject(String domain) {
    return USAGE_SUBJECT.getOrDefault(domain, UsageSubject.USAGE_SUBJECT_UNSPECIFIED);
  }

  static OsFamily osFamily(String domain) {
    return domain == null
        ? OsFamily.OS_FAMILY_UNSPECIFIED
        : OS_FAMILY.getOrDefault(domain, OsFamily.OS_FAMILY_OTHER);
  }

  /** An agent that does not say is counted as OTHER, as an unknown family always was. */
  static String osFamily(OsFamily wire) {
    return OS_FAMILY_CODES.getOrDefault(wire, "OTHER");
  }

  static WaitCode waitCode(String domain) {
    return WAIT_CODE.getOrDefault(domain, WaitCode.WAIT_CODE_UNSPECIFIED);
  }

  /**
   * The stored code as its wire enum. A non-zero exit is stored as {@code EXIT_CODE_<n>} (the run
   * carries the exit code itself); any code an older agent sent that is not in the table reads as
   * AGENT_ERROR, its words being in the run's message.
   */
  static RunFailureReason failureReason(String domain) {
    if (domain == null || domain.isEmpty()) {
      return RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED;
    }
    if (domain.startsWith(EXIT_CODE)) {
      return RunFailureReason.RUN_FAILURE_REASON_EXIT_CODE;
    }
    return FAILURE_REASON.getOrDefault(domain, RunFailureReason.RUN_FAILURE_REASON_AGENT_ERROR);
  }

  /** The code stored for a reason an agent sent; null for none. */
  static String failureReason(RunFailureReason wire, Integer exitCode) {
    if (wire == RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED) {
      return null;
    }
    if (wire == RunFailureReason.RUN_FAILURE_REASON_EXIT_CODE) {
      return exitCode == null ? EXIT_CODE : EXIT_CODE + "_" + exitCode;
    }
    return FAILURE_CODES.getOrDefault(wire, "AGENT_ERROR");
  }
}
