package dev.botfleet.orchestrator.metrics;

import dev.botfleet.orchestrator.licensing.Decision;
import dev.botfleet.orchestrator.users.LicenseService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * L7 as metrics: {@code botfleet_entitlement_denials_total{rule}}, one series per SPEC rule that
 * denied (L2, L4, L7, L8: a handful), from the check API, flow creation and sharing.
 */
public final class EntitlementMetrics implements MeterBinder {
  private final LicenseService licenses;
  private MeterRegistry registry;

  public EntitlementMetrics(LicenseService licenses) {
    this.licenses = licenses;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
    for (String rule : new String[] {"L2", "L4", "L7", "L8"}) {
      counter(rule);
    }
    licenses.addDecisionListener(this::decided);
  }

  private Counter counter(String rule) {
    return Counter.builder("botfleet.entitlement.denials")
        .description("Entitlement checks denied, per rule that decided (L7)")
        .tag("rule", rule)
        .register(registry);
  }

  private void decided(Decision d) {
    if (!d.allowed()) {
      counter(d.rule()).increment();
    }
  }
}
