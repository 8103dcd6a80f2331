package dev.botfleet.agent.web;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The agent's HTTP side (SPEC O1): {@code GET /metrics} in Prometheus text format and {@code GET
 * /healthz} (200 {@code ok} while the agent runs and is connected, 503 otherwise).
 */
public final class AgentHttpEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Binds and starts serving.
   *
   * @param port 0 for a free port
   * @param healthy whether the agent is connected to its orchestrator
   */
  public AgentHttpEndpoint(
      String host, int port, PrometheusMeterRegistry registry, BooleanSupplier healthy)
      throws IOException {
    requireNonNull(host, "host");
    requireNonNull(registry, "registry");
    requireNonNull(healthy, "healthy");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0..65535, 0 = free port)");
    }
    server = HttpServer.create(new InetSocketAddress(host, port), 16);
    executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "botfleet-agent-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/metrics",
        exchange ->
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
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
              exchange,
              ok ? 200 : 503,
              "text/plain; charset=utf-8",
              ok ? "ok\n" : "not connected to the orchestrator\n");
        });
    server.start();
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * {@code http://host:port} with the bound port; {@code localhost} when bound to all interfaces.
   */
  public String address() {
    InetSocketAddress address = server.getAddress();
    String host =
        address.getAddress() != null && address.getAddress().isAnyLocalAddress()
            ? "localhost" // listening on every interface
            : address.getHostString();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + address.getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    executor.shutdownNow();
  }
}
