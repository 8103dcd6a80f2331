package dev.botfleet.orchestrator.capacity;

import dev.botfleet.orchestrator.environments.Environment;
import java.util.List;

/** The "Add-ons tile" (C4), with consumption (C7) and overage flags (C8). */
public record CapacitySummary(
    List<SkuTotals> skus, List<EnvironmentUsage> environments, List<OverCapacity> overCapacity) {

  public record SkuTotals(Sku sku, long purchased, long allocated, long consumed) {
    public long available() {
      return purchased - allocated;
    }
  }

  public record SkuUsage(Sku sku, long allocated, long consumed, long overCapacity) {}

  public record EnvironmentUsage(Environment environment, List<SkuUsage> usage) {}

  /** C8: an allocation not covered by purchased units; the newest allocations are flagged first. */
  public record OverCapacity(
      Sku sku,
      Environment environment,
      long unitsOver,
      String remedy,
      java.time.Instant raisedAt) {}

  public SkuTotals totals(Sku sku) {
    return skus.stream().filter(t -> t.sku() == sku).findFirst().orElseThrow();
  }

  public EnvironmentUsage environment(String name) {
    return environments.stream()
        .filter(e -> e.environment().name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no environment " + name));
  }
}
