package dev.botfleet.orchestrator.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.botfleet.orchestrator.metrics.ScrapeRefresh;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** HTTP side of the orchestrator: {@code /metrics} (Prometheus text) and {@code /healthz}. */
public final class HttpEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpEndpoint.class);
  private final HttpServer server;

  public HttpEndpoint(
      String host,
      int port,
      PrometheusMeterRegistry registry,
      List<ScrapeRefresh> refreshers,
      BooleanSupplier healthy)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 64);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "http");
              t.setDaemon(true);
              return t;
            }));
    server.createContext(
        "/metrics",
        exchange -> {
          // While the database is down the gauges keep their last values instead of each scrape
          // waiting --db-wait per refresher and tying up the threads /healthz needs (issue 7).
          boolean databaseUp;
          try {
            databaseUp = healthy.getAsBoolean();
          } catch (RuntimeException e) {
            databaseUp = false;
          }
          for (ScrapeRefresh r : databaseUp ? refreshers : List.<ScrapeRefresh>of()) {
            try {
              r.refresh();
            } catch (RuntimeException e) {
              log.warn("event=metrics_refresh_failed error={}", e.toString());
            }
          }
          respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
        });
    server.createContext(
        "/healthz",
        exchange -> {
          boolean ok;
          try {
            ok = healthy.getAsBoolean();
          } catch (RuntimeException e) {
            ok = false;
          }
          respond(
              exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "unhealthy\n");
        });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** For later pages (the web console) to mount their handlers. */
  public HttpServer server() {
    return server;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
