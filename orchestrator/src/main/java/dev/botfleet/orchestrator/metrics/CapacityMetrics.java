package dev.botfleet.orchestrator.metrics;

import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.capacity.CapacitySummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;

/**
 * C4/C7 as metrics: {@code botfleet_capacity_units{sku,state}} and {@code
 * botfleet_environment_capacity_units{environment,sku,state}}. Refreshed from the database just
 * before each scrape, so two replicas report the same numbers.
 */
public final class CapacityMetrics implements MeterBinder, ScrapeRefresh {
  private final CapacityService capacity;
  private MultiGauge tenant;
  private MultiGauge perEnvironment;

  public CapacityMetrics(CapacityService capacity) {
    this.capacity = capacity;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    tenant =
        MultiGauge.builder("botfleet.capacity.units")
            .description(
                "Capacity add-on units per SKU: purchased, allocated to environments, available")
            .baseUnit("units")
            .register(registry);
    perEnvironment =
        MultiGauge.builder("botfleet.environment.capacity.units")
            .description("Capacity add-on units per environment and SKU: allocated and consumed")
            .baseUnit("units")
            .register(registry);
  }

  @Override
  public void refresh() {
    CapacitySummary s = capacity.summary();
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (var t : s.skus()) {
      rows.add(
          MultiGauge.Row.of(Tags.of("sku", t.sku().name(), "state", "purchased"), t.purchased()));
      rows.add(
          MultiGauge.Row.of(Tags.of("sku", t.sku().name(), "state", "allocated"), t.allocated()));
      rows.add(
          MultiGauge.Row.of(Tags.of("sku", t.sku().name(), "state", "available"), t.available()));
    }
    tenant.register(rows, true);
    List<MultiGauge.Row<?>> envRows = new ArrayList<>();
    for (var e : s.environments()) {
      for (var u : e.usage()) {
        String env = e.environment().name();
        envRows.add(
            MultiGauge.Row.of(
                Tags.of("environment", env, "sku", u.sku().name(), "state", "allocated"),
                u.allocated()));
        envRows.add(
            MultiGauge.Row.of(
                Tags.of("environment", env, "sku", u.sku().name(), "state", "consumed"),
                u.consumed()));
      }
    }
    perEnvironment.register(envRows, true);
  }
}
