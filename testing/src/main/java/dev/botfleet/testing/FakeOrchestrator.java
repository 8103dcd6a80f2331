package dev.botfleet.testing;

import com.google.protobuf.Duration;
import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.Assign;
import dev.botfleet.proto.v1.Cancel;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.CreateJoinTokenResponse;
import dev.botfleet.proto.v1.EnrollRequest;
import dev.botfleet.proto.v1.EnrollResponse;
import dev.botfleet.proto.v1.Hello;
import dev.botfleet.proto.v1.MachineCapacity;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import dev.botfleet.proto.v1.OrchestratorMessage;
import dev.botfleet.proto.v1.ReportAck;
import dev.botfleet.proto.v1.RunUpdate;
import dev.botfleet.proto.v1.Settings;
import dev.botfleet.proto.v1.Welcome;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TEST-ONLY stand-in for the orchestrator's side of {@code AgentService} (and {@code
 * MachineService.CreateJoinToken} for the simulator), on a real Netty server on 127.0.0.1. It
 * scripts the peer of the unit under test; the end-to-end suite runs against the real orchestrator.
 *
 * <p>Enroll spends a join token and issues {@code mach_<n>} with a random credential in environment
 * {@value #ENVIRONMENT}. Connect checks the credential in Hello, answers Welcome with the current
 * {@link #bots} and {@link #heartbeatMillis}, records every message, and acknowledges finished
 * reports when {@link #autoAck} is on. The server can be stopped and started again on its port.
 */
public final class FakeOrchestrator implements AutoCloseable {
  public static final String ENVIRONMENT = "test-env";
  public static final String ADMIN_TOKEN = "admin-secret";
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** One message an agent sent, with the number of the stream it came on. */
  public record Received(String machineId, int stream, AgentMessage message) {}

  public volatile int bots = 1;
  public volatile long heartbeatMillis = 200;
  public volatile boolean autoAck = true;

  public final Set<String> joinTokens = ConcurrentHashMap.newKeySet();
  public final AtomicInteger enrollCalls = new AtomicInteger();
  public final AtomicInteger connectCalls = new AtomicInteger();
  public final AtomicInteger joinTokensCreated = new AtomicInteger();
  public final List<Received> received = new CopyOnWriteArrayList<>();
  public final List<EnrollRequest> enrollments = new CopyOnWriteArrayList<>();

  private final Map<String, String> credentials = new ConcurrentHashMap<>(); // id -> secret
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final Map<String, Stream> streams = new ConcurrentHashMap<>(); // machine id -> latest
  private final AtomicInteger machines = new AtomicInteger();
  private final AtomicInteger streamNumbers = new AtomicInteger();
  private int port;
  private Server server;

  public FakeOrchestrator() throws IOException {
    start(0);
  }

  public synchronized int port() {
    return port;
  }

  public String target() {
    return "127.0.0.1:" + port();
  }

  /** Starts serving on {@code wantedPort} (0 = free port), retrying a busy port for a while. */
  public synchronized void start(int wantedPort) throws IOException {
    IOException last = null;
    for (int i = 0; i < 50; i++) {
      Server candidate =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", wantedPort))
              .permitKeepAliveTime(10, TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .addService(new Agents())
              .addService(ServerInterceptors.intercept(new Machines(), new AdminAuth()))
              .build();
      try {
        server = candidate.start();
        port = server.getPort();
        return;
      } catch (IOException e) {
        last = e;
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
    throw last;
  }

  /** Stops the server, cutting every stream (like an orchestrator crash). */
  public synchronized void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
      server = null;
    }
    streams.clear();
  }

  /** Starts again on the same port. */
  public synchronized void restart() throws IOException {
    start(port);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /** Issues a join token that Enroll accepts once. */
  public String newJoinToken() {
    String token = "join-" + java.util.UUID.randomUUID();
    joinTokens.add(token);
    return token;
  }

  /** Credential issued to the machine. */
  public String credentialOf(String machineId) {
    return credentials.get(machineId);
  }

  public void revoke(String machineId) {
    revoked.add(machineId);
  }

  public Set<String> machineIds() {
    return Set.copyOf(credentials.keySet());
  }

  /** The only machine enrolled so far. */
  public String onlyMachine() {
    Set<String> ids = machineIds();
    if (ids.size() != 1) {
      throw new IllegalStateException("machines: " + ids + " (expected: exactly one)");
    }
    return ids.iterator().next();
  }

  public boolean streamOpen(String machineId) {
    Stream s = streams.get(machineId);
    return s != null && !s.closed;
  }

  public int openStreams() {
    return (int) streams.values().stream().filter(s -> !s.closed).count();
  }

  // ---- scripting the orchestrator ----

  public void send(String machineId, OrchestratorMessage message) {
    Stream s = streams.get(machineId);
    if (s == null) {
      throw new IllegalStateException("no stream of " + machineId);
    }
    s.send(message);
  }

  public void assign(
      String machineId, String runId, int attempt, String flow, Map<String, String> inputs) {
    send(
        machineId,
        OrchestratorMessage.newBuilder()
            .setAssign(
                Assign.newBuilder()
                    .setRunId(runId)
                    .setAttempt(attempt)
                    .setFlowName(flow)
                    .putAllInputs(inputs)
                    .setTimeout(Duration.newBuilder().setSeconds(60)))
            .build());
  }

  public void assign(String machineId, String runId, String flow) {
    assign(machineId, runId, 1, flow, Map.of());
  }

  public void cancel(String machineId, String runId) {
    send(
        machineId,
        OrchestratorMessage.newBuilder()
            .setCancel(Cancel.newBuilder().setRunId(runId).setReason("test"))
            .build());
  }

  public void ack(String machineId, String runId) {
    send(
        machineId,
        OrchestratorMessage.newBuilder()
            .setReportAck(ReportAck.newBuilder().setRunId(runId))
            .build());
  }

  public void settings(String machineId, int newBots) {
    bots = newBots;
    send(machineId, OrchestratorMessage.newBuilder().setSettings(currentSettings()).build());
  }

  /** Fails the machine's stream with UNAVAILABLE (a network break). */
  public void breakStream(String machineId) {
    Stream s = streams.get(machineId);
    if (s != null) {
      s.fail(Status.UNAVAILABLE.withDescription("test broke the stream"));
    }
  }

  // ---- reading what agents said ----

  public List<AgentMessage> messages(String machineId) {
    return received.stream()
        .filter(r -> r.machineId().equals(machineId))
        .map(Received::message)
        .toList();
  }

  public List<Hello> hellos(String machineId) {
    return messages(machineId).stream()
        .filter(AgentMessage::hasHello)
        .map(AgentMessage::getHello)
        .toList();
  }

  public List<RunUpdate> updates(String runId) {
    return received.stream()
        .map(Received::message)
        .filter(AgentMessage::hasRunUpdate)
        .map(AgentMessage::getRunUpdate)
        .filter(u -> u.getRunId().equals(runId))
        .toList();
  }

  public List<RunUpdate> finished(String runId) {
    return updates(runId).stream().filter(RunUpdate::hasFinished).toList();
  }

  public List<RunUpdate> started(String runId) {
    return updates(runId).stream().filter(RunUpdate::hasStarted).toList();
  }

  public List<dev.botfleet.proto.v1.AssignAck> acks(String runId) {
    return received.stream()
        .map(Received::message)
        .filter(AgentMessage::hasAssignAck)
        .map(AgentMessage::getAssignAck)
        .filter(a -> a.getRunId().equals(runId))
        .toList();
  }

  Settings currentSettings() {
    long ms = heartbeatMillis;
    return Settings.newBuilder()
        .setBots(bots)
        .setHeartbeatInterval(
            Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000))
        .build();
  }

  // ---- services ----

  private final class Agents extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> response) {
      enrollCalls.incrementAndGet();
      if (!joinTokens.remove(request.getJoinToken())) {
        response.onError(
            Status.UNAUTHENTICATED
                .withDescription("join token is unknown, spent, expired or revoked")
                .asRuntimeException());
        return;
      }
      enrollments.add(request);
      String id = "mach_" + machines.incrementAndGet();
      String secret = "cred_" + java.util.UUID.randomUUID();
      credentials.put(id, secret);
      MachineCapacity capacity = request.getCapacity();
      String name =
          request.getMachineName().isEmpty() ? capacity.getHostname() : request.getMachineName();
      response.onNext(
          EnrollResponse.newBuilder()
              .setMachineId(id)
              .setCredential(secret)
              .setEnvironment(ENVIRONMENT)
              .setMachineName(name)
              .build());
      response.onCompleted();
    }

    @Override
    public StreamObserver<AgentMessage> connect(StreamObserver<OrchestratorMessage> response) {
      connectCalls.incrementAndGet();
      Stream stream =
          new Stream(
              (ServerCallStreamObserver<OrchestratorMessage>) response,
              streamNumbers.incrementAndGet());
      return stream;
    }
  }

  private final class Stream implements StreamObserver<AgentMessage> {
    final ServerCallStreamObserver<OrchestratorMessage> out;
    final int number;
    volatile String machineId;
    volatile boolean closed;

    Stream(ServerCallStreamObserver<OrchestratorMessage> out, int number) {
      this.out = out;
      this.number = number;
      out.setOnCancelHandler(() -> closed = true);
    }

    synchronized void send(OrchestratorMessage message) {
      if (!closed) {
        out.onNext(message);
      }
    }

    synchronized void fail(Status status) {
      if (!closed) {
        closed = true;
        out.onError(status.asRuntimeException());
      }
    }

    @Override
    public void onNext(AgentMessage message) {
      if (machineId == null) {
        if (!message.hasHello()) {
          fail(Status.INVALID_ARGUMENT.withDescription("expected Hello first"));
          return;
        }
        Hello hello = message.getHello();
        String id = hello.getMachineId();
        received.add(new Received(id, number, message));
        String secret = credentials.get(id);
        if (secret == null || !secret.equals(hello.getCredential()) || revoked.contains(id)) {
          fail(Status.UNAUTHENTICATED.withDescription("machine credential unknown or revoked"));
          return;
        }
        machineId = id;
        streams.put(id, this);
        send(
            OrchestratorMessage.newBuilder()
                .setWelcome(
                    Welcome.newBuilder()
                        .setMachineId(id)
                        .setMachineName("name-of-" + id)
                        .setEnvironment(ENVIRONMENT)
                        .setSettings(currentSettings()))
                .build());
        return;
      }
      received.add(new Received(machineId, number, message));
      if (autoAck && message.hasRunUpdate() && message.getRunUpdate().hasFinished()) {
        send(
            OrchestratorMessage.newBuilder()
                .setReportAck(ReportAck.newBuilder().setRunId(message.getRunUpdate().getRunId()))
                .build());
      }
    }

    @Override
    public void onError(Throwable t) {
      closed = true;
    }

    @Override
    public synchronized void onCompleted() {
      if (!closed) {
        closed = true;
        out.onCompleted();
      }
    }
  }

  private final class Machines extends MachineServiceGrpc.MachineServiceImplBase {
    @Override
    public void createJoinToken(
        CreateJoinTokenRequest request, StreamObserver<CreateJoinTokenResponse> response) {
      if (!ENVIRONMENT.equals(request.getEnvironment())) {
        response.onError(
            Status.NOT_FOUND
                .withDescription("environment '" + request.getEnvironment() + "' not found")
                .asRuntimeException());
        return;
      }
      joinTokensCreated.incrementAndGet();
      String token = newJoinToken();
      response.onNext(
          CreateJoinTokenResponse.newBuilder()
              .setTokenId("tok_" + joinTokensCreated.get())
              .setToken(token)
              .build());
      response.onCompleted();
    }
  }

  private static final class AdminAuth implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      if (!("Bearer " + ADMIN_TOKEN).equals(headers.get(AUTHORIZATION))) {
        call.close(Status.UNAUTHENTICATED.withDescription("unknown token"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }
}
