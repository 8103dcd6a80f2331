package dev.botfleet.agent.simulate;

import static java.util.Objects.requireNonNull;

import dev.botfleet.agent.link.AgentLink;
import dev.botfleet.agent.link.Backoff;
import dev.botfleet.agent.link.Enrolment;
import dev.botfleet.agent.link.LinkMetrics;
import dev.botfleet.agent.link.MachineCredential;
import dev.botfleet.agent.link.Messages;
import dev.botfleet.agent.link.PendingReports;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.MachineCapacity;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N virtual agents in one JVM, for load tests (DESIGN "Layout"). For each virtual machine it asks
 * the admin API for a join token ({@code MachineService.CreateJoinToken}, bearer token), enrols
 * (capacity: LINUX, {@code max_sessions = botsPerMachine}, the installed flows), then keeps one
 * {@code Connect} stream per machine, multiplexed over a few shared Netty channels. Each virtual
 * machine speaks the real protocol through {@link AgentLink} (Hello, heartbeats, AssignAck, started
 * and finished reports re-sent until acknowledged, Cancel, reconnect with back-off) but runs no
 * processes and writes nothing to disk. It does not allocate bots: the orchestrator's
 * auto-allocation or the benchmark does.
 *
 * <p>Use: {@code start()}, then {@link #connectedCount()}, {@link #completedRuns()}, {@code
 * close()}.
 */
public final class FleetSimulator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FleetSimulator.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final long TOKEN_TTL_SECONDS = 600;
  static final long MEMORY_BYTES = 8L << 30;

  private final String server;
  private final String adminToken;
  private final String environment;
  private final int machines;
  private final int botsPerMachine;
  private final Duration flowDuration;
  private final Duration heartbeatInterval;
  private final int channelCount;
  private final String namePrefix;
  private final List<String> installedFlows;
  private final Supplier<Backoff> backoff;

  private final LinkMetrics metrics = new LinkMetrics();
  private final LongAdder completed = new LongAdder();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<AgentLink> links = new ArrayList<>();
  private final List<MachineCredential> credentials = new ArrayList<>();
  private ScheduledExecutorService scheduler;
  private boolean started;
  private boolean closed;

  private FleetSimulator(Builder b) {
    this.server = b.server;
    this.adminToken = b.adminToken;
    this.environment = b.environment;
    this.machines = b.machines;
    this.botsPerMachine = b.botsPerMachine;
    this.flowDuration = b.flowDuration;
    this.heartbeatInterval = b.heartbeatInterval;
    this.channelCount = Math.min(b.channels, b.machines);
    this.namePrefix = b.namePrefix != null ? b.namePrefix : randomPrefix();
    this.installedFlows = List.copyOf(b.installedFlows);
    this.backoff = b.backoff;
  }

  /**
   * @param server orchestrator {@code HOST:PORT}
   * @param adminToken bearer token of an admin allowed to create join tokens in {@code environment}
   */
  public static Builder builder(String server, String adminToken, String environment) {
    return new Builder(server, adminToken, environment);
  }

  /**
   * Creates join tokens, enrols every virtual machine (in parallel), then opens their streams in
   * the background. Returns once all are enrolled; see {@link #awaitConnected}.
   *
   * @throws BotfleetException when a token cannot be created or a machine cannot enrol (nothing is
   *     left running then)
   */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("fleet simulator: already started");
    }
    started = true;
    for (int i = 0; i < channelCount; i++) {
      channels.add(AgentLink.channelTo(server));
    }
    scheduler =
        AgentLink.newScheduler(
            "botfleet-sim", Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors())));
    long began = System.nanoTime();
    try {
      credentials.addAll(enrollAll());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    log.info(
        "event=fleet_enrolled machines={} environment={} prefix={} took_ms={}",
        machines,
        environment,
        namePrefix,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    Set<String> flows = Set.copyOf(installedFlows);
    for (int i = 0; i < credentials.size(); i++) {
      MachineCredential credential = credentials.get(i);
      AgentLink.Builder link =
          AgentLink.builder(channels.get(i % channelCount), credential)
              .bots(new SimulatedBots(scheduler, flowDuration, flows, completed, Clock.systemUTC()))
              .capacity(constant(capacity(credential.machineName())))
              .pending(PendingReports.inMemory())
              .scheduler(scheduler)
              .metrics(metrics)
              .reprobeInterval(null)
              .heartbeatInterval(heartbeatInterval);
      if (backoff != null) {
        link.backoff(backoff.get());
      }
      AgentLink built = link.build();
      links.add(built);
      built.start();
    }
  }

  private List<MachineCredential> enrollAll() {
    ManagedChannel admin = channels.get(0);
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + adminToken);
    MachineServiceGrpc.MachineServiceBlockingStub machinesApi =
        MachineServiceGrpc.newBlockingStub(admin)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, machines));
    try {
      List<Future<MachineCredential>> futures = new ArrayList<>();
      for (int i = 0; i < machines; i++) {
        String name = String.format("%s%04d", namePrefix, i + 1);
        ManagedChannel channel = channels.get(i % channelCount);
        futures.add(pool.submit(() -> enrollOne(machinesApi, channel, name)));
      }
      List<MachineCredential> enrolled = new ArrayList<>();
      for (Future<MachineCredential> future : futures) {
        enrolled.add(future.get());
      }
      return enrolled;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BotfleetException(ErrorReason.SIMULATOR_INTERRUPTED, "interrupted while enrolling");
    } finally {
      pool.shutdownNow();
    }
  }

  private MachineCredential enrollOne(
      MachineServiceGrpc.MachineServiceBlockingStub machinesApi,
      ManagedChannel channel,
      String name) {
    String token;
    try {
      token =
          machinesApi
              .withDeadlineAfter(Enrolment.DEADLINE.toNanos(), TimeUnit.NANOSECONDS)
              .createJoinToken(
                  CreateJoinTokenRequest.newBuilder()
                      .setEnvironment(environment)
                      .setTtl(
                          com.google.protobuf.Duration.newBuilder().setSeconds(TOKEN_TTL_SECONDS))
                      .build())
              .getToken();
    } catch (StatusRuntimeException e) {
      throw new BotfleetException(
          ErrorReason.SIMULATOR_JOIN_TOKEN,
          errorCode(e),
          "cannot create a join token in environment '"
              + environment
              + "' on "
              + server
              + ": "
              + e.getStatus().getDescription()
              + " ("
              + e.getStatus().getCode()
              + "; expected: --token of an admin of that environment)");
    }
    return Enrolment.enroll(channel, server, token, capacity(name), name, Enrolment.DEADLINE);
  }

  private static ErrorCode errorCode(StatusRuntimeException e) {
    for (ErrorCode code : ErrorCode.values()) {
      if (code.name().equals(e.getStatus().getCode().name())) {
        return code;
      }
    }
    return ErrorCode.UNAVAILABLE;
  }

  MachineCapacity capacity(String name) {
    return MachineCapacity.newBuilder()
        .setOsFamily(dev.botfleet.proto.v1.OsFamily.OS_FAMILY_LINUX)
        .setOsVersion("Botfleet simulated machine")
        .setHostname(name)
        .setLogicalCpus(Math.max(1, botsPerMachine))
        .setMemoryBytes(MEMORY_BYTES)
        .setActiveSessions(0)
        .setMaxSessions(botsPerMachine)
        .addAllInstalledFlows(installedFlows)
        .setAgentVersion(Messages.agentVersion() + "-simulated")
        .build();
  }

  private static <T> Supplier<T> constant(T value) {
    return () -> value;
  }

  /** Virtual machines whose stream is up (Welcome received). */
  public int connectedCount() {
    return metrics.connectedLinks();
  }

  /** Runs the virtual bots finished, whatever the outcome. */
  public long completedRuns() {
    return completed.sum();
  }

  /** Final reports not yet acknowledged, over all virtual machines. */
  public int pendingReports() {
    return metrics.pendingReports();
  }

  public long heartbeats() {
    return metrics.heartbeats();
  }

  public int machineCount() {
    return machines;
  }

  /** Ids of the enrolled virtual machines, in name order. */
  public synchronized List<String> machineIds() {
    return credentials.stream().map(MachineCredential::machineId).toList();
  }

  /** Names of the enrolled virtual machines ({@code <prefix>0001} …). */
  public synchronized List<String> machineNames() {
    return credentials.stream().map(MachineCredential::machineName).toList();
  }

  public String namePrefix() {
    return namePrefix;
  }

  /** Waits until every virtual machine is connected. @return whether they all are */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (connectedCount() < machines) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** Closes every stream and channel. Runs in progress are dropped without reports. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    links.forEach(AgentLink::close);
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    log.info("event=fleet_closed machines={} completed_runs={}", links.size(), completedRuns());
  }

  private static String randomPrefix() {
    String alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
    SecureRandom random = new SecureRandom();
    StringBuilder prefix = new StringBuilder("sim-");
    for (int i = 0; i < 5; i++) {
      prefix.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return prefix.append('-').toString();
  }

  /** Options of a {@link FleetSimulator}. */
  public static final class Builder {
    private final String server;
    private final String adminToken;
    private final String environment;
    private int machines = 10;
    private int botsPerMachine = 1;
    private Duration flowDuration = Duration.ZERO;
    private Duration heartbeatInterval;
    private int channels = 4;
    private String namePrefix;
    private List<String> installedFlows = List.of("noop");
    private Supplier<Backoff> backoff;

    private Builder(String server, String adminToken, String environment) {
      this.server = requireNonNull(server, "server");
      this.adminToken = requireNonNull(adminToken, "adminToken");
      this.environment = requireNonNull(environment, "environment");
    }

    public Builder machines(int machines) {
      if (machines < 1) {
        throw new IllegalArgumentException("machines: " + machines + " (expected: >= 1)");
      }
      this.machines = machines;
      return this;
    }

    /** Maximum sessions each virtual machine reports (the bots it may hold, SPEC P5). */
    public Builder botsPerMachine(int bots) {
      if (bots < 1) {
        throw new IllegalArgumentException("botsPerMachine: " + bots + " (expected: >= 1)");
      }
      this.botsPerMachine = bots;
      return this;
    }

    /** How long a simulated run takes; zero finishes it at once (default). */
    public Builder flowDuration(Duration duration) {
      requireNonNull(duration, "duration");
      if (duration.isNegative()) {
        throw new IllegalArgumentException("flowDuration: " + duration + " (expected: >= 0)");
      }
      this.flowDuration = duration;
      return this;
    }

    /** A fixed heartbeat interval; {@code null} (default) follows the orchestrator's settings. */
    public Builder heartbeatInterval(Duration every) {
      if (every != null && (every.isZero() || every.isNegative())) {
        throw new IllegalArgumentException("heartbeatInterval: " + every + " (expected: > 0)");
      }
      this.heartbeatInterval = every;
      return this;
    }

    /** Netty channels the streams are spread over (default 4). */
    public Builder channels(int channels) {
      if (channels < 1) {
        throw new IllegalArgumentException("channels: " + channels + " (expected: >= 1)");
      }
      this.channels = channels;
      return this;
    }

    /** Machine names are this prefix and a number; default {@code sim-<random>-}. */
    public Builder namePrefix(String prefix) {
      this.namePrefix = prefix;
      return this;
    }

    /** Flows the virtual machines have installed (default {@code noop}). */
    public Builder installedFlows(List<String> flows) {
      this.installedFlows = List.copyOf(flows);
      return this;
    }

    /** Back-off per virtual machine (default 0.5 s to 15 s). */
    public Builder backoff(Supplier<Backoff> backoff) {
      this.backoff = backoff;
      return this;
    }

    public FleetSimulator build() {
      return new FleetSimulator(this);
    }
  }
}
