package dev.botfleet.orchestrator.licensing;

/** The tier of a connector a flow uses; each maps to one row of the [003] matrix (L2). */
public enum ConnectorTier {
  STANDARD(Capability.STANDARD_CONNECTORS),
  PREMIUM(Capability.PREMIUM_CONNECTORS),
  CUSTOM(Capability.CUSTOM_CONNECTORS);

  private final Capability capability;

  ConnectorTier(Capability capability) {
    this.capability = capability;
  }

  /** The matrix row that entitles a flow to connectors of this tier. */
  public Capability capability() {
    return capability;
  }
}
