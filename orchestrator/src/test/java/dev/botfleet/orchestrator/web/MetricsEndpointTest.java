package dev.botfleet.orchestrator.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.testing.Cli;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP side of a real orchestrator (O1, C4/C7 as metrics): {@code /metrics} in Prometheus text
 * format with the capacity gauges, JVM and gRPC server metrics; {@code /healthz}.
 */
class MetricsEndpointTest {
  @TempDir Path dir;
  private Orchestrator orchestrator;
  private Cli cli;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    Path data = dir.resolve("data");
    orchestrator =
        Orchestrator.start(
            new OrchestratorConfig(data, "127.0.0.1", 0, 0, null, null, null, 4, Clock.systemUTC())
                .withTls(OrchestratorConfig.Tls.ownCa()));
    cli = Cli.forServer("127.0.0.1:" + orchestrator.grpcPort(), data);
  }

  @AfterEach
  void stop() {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + orchestrator.httpPort() + path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void c4_metrics_show_purchased_allocated_and_available_units_per_sku_and_environment()
      throws Exception {
    cli.run("env", "create", "prod", "--type", "PRODUCTION").ok();
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", "10").ok();
    cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "4").ok();
    cli.run("capacity", "purchase", "--sku", "APP_PASS", "--quantity", "2").ok();
    cli.run("capacity", "allocate", "--env", "prod", "--sku", "APP_PASS", "--quantity", "2").ok();
    cli.run("app", "share", "expenses", "--env", "prod", "--user", "ana").ok();

    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    String body = r.body();
    assertThat(body).contains("# TYPE botfleet_capacity_units gauge");
    assertThat(body).contains("botfleet_capacity_units{sku=\"PROCESS\",state=\"purchased\"} 10.0");
    assertThat(body).contains("botfleet_capacity_units{sku=\"PROCESS\",state=\"allocated\"} 4.0");
    assertThat(body).contains("botfleet_capacity_units{sku=\"PROCESS\",state=\"available\"} 6.0");
    assertThat(body)
        .contains(
            "botfleet_environment_capacity_units{environment=\"prod\",sku=\"PROCESS\",state=\"allocated\"} 4.0");
    assertThat(body)
        .contains(
            "botfleet_environment_capacity_units{environment=\"prod\",sku=\"APP_PASS\",state=\"consumed\"} 1.0");

    // Gauges are read from the database at scrape time: a change shows on the next scrape.
    cli.run("capacity", "allocate", "--env", "prod", "--sku", "PROCESS", "--quantity", "7").ok();
    assertThat(get("/metrics").body())
        .contains(
            "botfleet_environment_capacity_units{environment=\"prod\",sku=\"PROCESS\",state=\"allocated\"} 7.0")
        .contains("botfleet_capacity_units{sku=\"PROCESS\",state=\"available\"} 3.0");
  }

  @Test
  void o1_metrics_include_jvm_and_grpc_server_metrics() throws Exception {
    cli.run("env", "list").ok();
    cli.run("capacity", "allocate", "--env", "nope", "--sku", "PROCESS", "--quantity", "1");
    String body = get("/metrics").body();
    assertThat(body)
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_threads_live_threads")
        .contains("process_uptime_seconds");
    assertThat(body)
        .containsPattern(
            "grpc_server_processing_duration_seconds_count\\{[^}]*method=\"ListEnvironments\"[^}]*statusCode=\"OK\"[^}]*\\} 1");
    assertThat(body)
        .containsPattern(
            "grpc_server_processing_duration_seconds_count\\{[^}]*method=\"SetAllocation\"[^}]*statusCode=\"NOT_FOUND\"[^}]*\\} 1");
    assertThat(body).contains("grpc_server_requests_received_messages_total{");
  }

  @Test
  void healthz_answers_ok() throws Exception {
    HttpResponse<String> r = get("/healthz");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body().strip()).isEqualTo("ok");
  }
}
