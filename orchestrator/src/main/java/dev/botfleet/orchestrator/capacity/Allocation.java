package dev.botfleet.orchestrator.capacity;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** Units of one SKU assigned to one environment (C2). {@code raisedAt}: when it last grew (C8). */
public record Allocation(String environmentId, Sku sku, long quantity, Instant raisedAt) {
  public Allocation {
    requireNonNull(environmentId, "environmentId");
    requireNonNull(sku, "sku");
    requireNonNull(raisedAt, "raisedAt");
    if (quantity < 0) {
      throw new IllegalArgumentException("quantity: " + quantity + " (expected: >= 0)");
    }
  }
}
