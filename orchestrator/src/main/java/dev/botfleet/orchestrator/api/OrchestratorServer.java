package dev.botfleet.orchestrator.api;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server: owns its lifecycle and takes its {@link ServerBuilder}, so tests pass an
 * in-process one. Health and reflection are always registered, so {@code grpcurl} works.
 */
public final class OrchestratorServer {
  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();

  public OrchestratorServer(
      ServerBuilder<?> builder,
      MeterRegistry registry,
      AuthInterceptor auth,
      RefusalAudit refusals,
      PrincipalRateLimit rateLimit,
      List<BindableService> services) {
    // Server-wide interceptors run in reverse order of adding: the refusal audit (issue 12 §2)
    // runs first, so it sees how every call closes, agent service included.
    builder.intercept(new MetricCollectingServerInterceptor(registry));
    // Issue 12 §1: the verified client certificate (if any) travels with the call.
    builder.intercept(new dev.botfleet.orchestrator.tls.PeerCertificates());
    builder.intercept(refusals);
    // Issue 7: auth first (outermost), so unauthenticated garbage is refused before it is walked;
    // then the caller's request rate (issue 12 §4); then every message is bounded; malformed bytes
    // answer INVALID_ARGUMENT, not UNKNOWN.
    RequestLimits limits = new RequestLimits();
    for (BindableService service : services) {
      builder.addService(
          ServerInterceptors.intercept(
              RequestLimits.guard(service.bindService()), limits, rateLimit, auth));
    }
    builder.addService(health.getHealthService());
    builder.addService(ProtoReflectionServiceV1.newInstance());
    this.server = builder.build();
  }

  public void start() throws IOException {
    server.start();
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
  }

  public int port() {
    return server.getPort();
  }

  /** Orderly stop: refuse new calls, let running ones finish for a while, then cut the rest. */
  public void stop(long timeout, TimeUnit unit) {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(timeout, unit)) {
        server.shutdownNow();
        server.awaitTermination(timeout, unit);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  public void blockUntilShutdown() throws InterruptedException {
    server.awaitTermination();
  }
}
