package dev.botfleet.orchestrator.capacity;

import java.util.List;

/** Capacity add-on SKUs (C1) and the unit each is counted in (C4). */
public enum Sku {
  PROCESS("bots"),
  /** Legacy; one pool with PROCESS in each environment (P1). */
  UNATTENDED_RPA("bots"),
  HOSTED_PROCESS("bots"),
  /** Legacy per-flow plan (P9). */
  PER_FLOW("flows"),
  /** Power Apps per app (C6). */
  APP_PASS("passes"),
  AI_BUILDER_CREDITS("credits"),
  PORTAL_LOGINS("logins"),
  PORTAL_VIEWS("views");

  private final String unit;

  Sku(String unit) {
    this.unit = unit;
  }

  public String unit() {
    return unit;
  }

  /** P1: PROCESS and UNATTENDED_RPA units allocated to an environment are used interchangeably. */
  public boolean inProcessPool() {
    return this == PROCESS || this == UNATTENDED_RPA;
  }

  /**
   * The SKU rows to lock, always in the same order, before changing or consuming this SKU. Pool
   * SKUs lock both rows because a pool check reads both allocations (P1); a fixed order avoids
   * deadlocks between concurrent transactions.
   */
  public List<Sku> lockSet() {
    return inProcessPool() ? List.of(PROCESS, UNATTENDED_RPA) : List.of(this);
  }

  /** L6: admin-managed trials exist for these add-ons. */
  public boolean offersTrial() {
    return this == PROCESS || this == HOSTED_PROCESS;
  }
}
