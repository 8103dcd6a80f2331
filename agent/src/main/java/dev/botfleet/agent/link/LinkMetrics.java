package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The link's metrics (SPEC O1). In Prometheus format:
 *
 * <ul>
 *   <li>{@code botfleet_agent_connected}: 1 while the stream is up (Welcome received), else 0; a
 *       fleet simulator sharing one instance shows how many of its machines are connected;
 *   <li>{@code botfleet_agent_reconnects_total}: stream attempts after the first;
 *   <li>{@code botfleet_agent_heartbeats_total}: heartbeats sent;
 *   <li>{@code botfleet_agent_pending_reports}: final run reports not yet acknowledged (A6).
 * </ul>
 *
 * Thread-safe; can be shared by several links.
 */
public final class LinkMetrics implements MeterBinder {
  static final String CONNECTED = "botfleet.agent.connected";
  static final String RECONNECTS = "botfleet.agent.reconnects";
  static final String HEARTBEATS = "botfleet.agent.heartbeats";
  static final String PENDING = "botfleet.agent.pending.reports";

  private final AtomicInteger connected = new AtomicInteger();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong heartbeats = new AtomicLong();
  private final List<PendingReports> pending = new CopyOnWriteArrayList<>();

  @Override
  public void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    Gauge.builder(CONNECTED, connected, AtomicInteger::get)
        .description("Whether the stream to the orchestrator is up (1) or not (0)")
        .strongReference(true)
        .register(registry);
    FunctionCounter.builder(RECONNECTS, reconnects, AtomicLong::get)
        .description("Stream attempts after the first (attempts)")
        .register(registry);
    FunctionCounter.builder(HEARTBEATS, heartbeats, AtomicLong::get)
        .description("Heartbeats sent to the orchestrator (heartbeats)")
        .register(registry);
    Gauge.builder(PENDING, this, LinkMetrics::pendingReports)
        .description("Final run reports waiting for the orchestrator's acknowledgement (reports)")
        .strongReference(true)
        .register(registry);
  }

  void track(PendingReports reports) {
    pending.add(requireNonNull(reports, "reports"));
  }

  void connected() {
    connected.incrementAndGet();
  }

  void disconnected() {
    connected.decrementAndGet();
  }

  void reconnect() {
    reconnects.incrementAndGet();
  }

  void heartbeat() {
    heartbeats.incrementAndGet();
  }

  /** Connected links counted by this instance. */
  public int connectedLinks() {
    return connected.get();
  }

  public long reconnects() {
    return reconnects.get();
  }

  public long heartbeats() {
    return heartbeats.get();
  }

  public int pendingReports() {
    int sum = 0;
    for (PendingReports reports : pending) {
      sum += reports.size();
    }
    return sum;
  }
}
