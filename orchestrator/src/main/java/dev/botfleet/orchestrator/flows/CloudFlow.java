package dev.botfleet.orchestrator.flows;

import static java.util.Objects.requireNonNull;

import dev.botfleet.orchestrator.licensing.ConnectorTier;
import dev.botfleet.orchestrator.licensing.LicenseType;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * A cloud flow as stored. Its plan is not stored but derived ({@link FlowCharges#charge}): process
 * units (P3), a parent (P4), machine cover (P7), a per-flow plan (P9), else the owner's licenses.
 *
 * @param connectors the connector tiers the flow uses (STANDARD when none is given)
 * @param app the app the flow is associated to (L2), or null
 * @param appLicense the license that app comes from, or null
 * @param processUnits process units allocated to the flow (P3)
 * @param perFlow whether a per-flow plan is allocated (P9)
 * @param parentId the process flow this flow is associated to (P4), or null
 */
public record CloudFlow(
    String id,
    String environmentId,
    String name,
    String ownerId,
    Set<ConnectorTier> connectors,
    String app,
    LicenseType appLicense,
    int processUnits,
    boolean perFlow,
    String parentId,
    Instant createdAt) {

  public CloudFlow {
    requireNonNull(id, "id");
    requireNonNull(environmentId, "environmentId");
    requireNonNull(name, "name");
    requireNonNull(ownerId, "ownerId");
    connectors =
        connectors.isEmpty()
            ? Collections.unmodifiableSet(EnumSet.of(ConnectorTier.STANDARD))
            : Collections.unmodifiableSet(EnumSet.copyOf(connectors));
    requireNonNull(createdAt, "createdAt");
  }

  /** The highest connector tier the flow uses (the one L2 checks). */
  public ConnectorTier highestTier() {
    ConnectorTier highest = ConnectorTier.STANDARD;
    for (ConnectorTier t : connectors) {
      if (t.ordinal() > highest.ordinal()) {
        highest = t;
      }
    }
    return highest;
  }
}
