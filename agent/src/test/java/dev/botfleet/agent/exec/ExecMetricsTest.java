package dev.botfleet.agent.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.agent.exec.RunResult.Outcome;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecMetricsTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  @Test
  void o1_agent_metrics_render_with_conventional_prometheus_names() {
    BotSlots slots = new BotSlots(3);
    ExecMetrics metrics = new ExecMetrics(slots);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics.bindTo(registry);
    slots.tryAcquire("r1");

    metrics.onFinished(
        new RunResult(
            "r1", Outcome.SUCCEEDED, 0, Map.of(), "", T0, T0.plusSeconds(90), null, "ok"));
    metrics.onFinished(
        RunResult.notStarted("r2", Outcome.FAILED, "FLOW_NOT_INSTALLED", "no flow", T0));

    String scrape = registry.scrape();
    assertThat(scrape)
        .contains("botfleet_agent_runs_total{outcome=\"succeeded\"} 1.0")
        .contains("botfleet_agent_runs_total{outcome=\"failed\"} 1.0")
        .contains("botfleet_agent_runs_total{outcome=\"timed_out\"} 0.0")
        .contains("botfleet_agent_run_duration_seconds_count{outcome=\"succeeded\"} 1")
        .contains("botfleet_agent_run_duration_seconds_sum{outcome=\"succeeded\"} 90.0")
        .contains("botfleet_agent_run_duration_seconds_count{outcome=\"failed\"} 0")
        .contains("botfleet_agent_bots_busy 1.0")
        .contains("botfleet_agent_bots 3.0");
  }
}
