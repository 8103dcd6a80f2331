package dev.botfleet.orchestrator.runs;

/** R8: why a queued run waits, as a code and in words. Derived when asked, never stored stale. */
public record WaitReason(String code, String words) {
  public static final String NO_MACHINE_ONLINE = "NO_MACHINE_ONLINE";
  public static final String ALL_BOTS_BUSY = "ALL_BOTS_BUSY";
  public static final String AUTO_ALLOCATION_OFF = "AUTO_ALLOCATION_OFF";
  public static final String NO_PROCESS_CAPACITY = "NO_PROCESS_CAPACITY";
  public static final String MAX_SESSIONS_REACHED = "MAX_SESSIONS_REACHED";
  public static final String MACHINE_IN_MAINTENANCE = "MACHINE_IN_MAINTENANCE";
  public static final String GROUP_THROTTLED = "GROUP_THROTTLED";
  public static final String OVER_CAPACITY = "OVER_CAPACITY";
  public static final String FLOW_NOT_INSTALLED = "FLOW_NOT_INSTALLED";

  /** A bot is free and the dispatcher is about to assign the run (a moment, not a problem). */
  public static final String DISPATCHING = "DISPATCHING";
}
