package dev.botfleet.orchestrator.machines;

import dev.botfleet.orchestrator.capacity.Sku;
import java.time.Instant;

/**
 * One unattended bot: one process unit allocated to one machine (P2, P5). {@code source} says
 * whether an admin allocated it or the machine allocated itself (P6); either way it stays until an
 * admin de-allocates it. {@code sku} is PROCESS, or HOSTED_PROCESS when hosted capacity was used as
 * process capacity (H8).
 */
public record Bot(
    String id,
    String machineId,
    String environmentId,
    Source source,
    Sku sku,
    String currentRunId,
    Instant allocatedAt) {
  public enum Source {
    MANUAL,
    AUTO
  }

  public boolean busy() {
    return currentRunId != null;
  }
}
