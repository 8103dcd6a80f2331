package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.Heartbeat;
import dev.botfleet.proto.v1.Hello;
import dev.botfleet.proto.v1.MachineCapacity;
import dev.botfleet.proto.v1.OrchestratorMessage;
import dev.botfleet.proto.v1.RenewCertificate;
import dev.botfleet.proto.v1.Settings;
import dev.botfleet.proto.v1.Welcome;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One machine's link to the orchestrator (SPEC A2, A3, A6): the session, a single {@code Connect}
 * stream reopened with back-off whenever it breaks, over which the agent says Hello, heartbeats and
 * reports capacity changes, and takes settings. Assignments, cancels, report acks and run updates
 * are {@link Assignments}' business; the link hands them over and gives them the current stream.
 *
 * <p>Protocol, agent side:
 *
 * <ol>
 *   <li>{@code Hello{machine_id, credential, capacity, running_run_ids}} first on every stream;
 *   <li>on {@code Welcome}: apply its settings, reset the back-off, re-send {@code started} of
 *       every run still executing (so a start report lost with the old stream cannot expire the
 *       lease) and every pending final report (A6), start heartbeats every {@code
 *       settings.heartbeat_interval} (5 s if unset);
 *   <li>{@code Assign}, {@code Cancel} and {@code ReportAck} go to {@link Assignments}, which
 *       answers on the stream they came on;
 *   <li>a stream closed with {@code UNAUTHENTICATED} ends the link for good ({@link #terminated()}
 *       fails); any other end is retried with {@link Backoff}, runs keep going.
 * </ol>
 *
 * <p>Every write to the stream goes through one serialized writer per stream. Thread-safe.
 */
public final class AgentLink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentLink.class);

  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  public static final Duration REPROBE_INTERVAL = Duration.ofSeconds(30);
  public static final Duration WELCOME_TIMEOUT = Duration.ofSeconds(30);

  /** Run time-out when an Assign carries none (SPEC R10). */
  public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofHours(24);

  public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(30);
  static final Duration MIN_HEARTBEAT = Duration.ofMillis(50);
  public static final String NO_FREE_SLOT = "NO_FREE_SLOT";

  private final Channel channel;
  private final boolean ownsChannel;
  private final MachineCredential credential;
  private final Bots bots;
  private final Supplier<MachineCapacity> capacity;
  private final Assignments assignments;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final LinkMetrics metrics;
  private final Backoff backoff;
  private final Duration reprobeInterval;
  private final Duration heartbeatOverride;
  private final Duration welcomeTimeout;

  private final Object lock = new Object();
  // guarded by lock:
  private Session current;
  private boolean closed;
  private int attempts;
  private ScheduledFuture<?> reconnectTask;
  private ScheduledFuture<?> reprobeTask;

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private final AtomicLong heartbeatSequence = new AtomicLong();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private volatile MachineCapacity lastProbed;
  private volatile MachineCapacity lastSentCapacity;
  private volatile Welcome welcome;
  private volatile Settings settings = Settings.getDefaultInstance();

  /**
   * Renews the client certificate over the stream (issue 12 §1): asked on every heartbeat for a CSR
   * when renewal is due, told the certificate when it arrives.
   */
  public interface CertificateRenewal {
    /** A CSR to send now, or empty when no renewal is due. */
    Optional<String> renewalCsr(Instant now);

    /** The orchestrator's answer to the CSR. */
    void renewed(String certificatePem);

    /** Why the certificate cannot open a stream any more (it expired), or empty. */
    Optional<String> unusable(Instant now);

    /** The orchestrator asked for a new key now (rotation): the next CSR is due at once. */
    void rotate();
  }

  private final CertificateRenewal renewal;
  private final Clock clock;

  private AgentLink(Builder b) {
    this.renewal = b.renewal;
    this.clock = b.clock;
    this.channel = b.channel;
    this.ownsChannel = b.ownsChannel;
    this.credential = b.credential;
    this.bots = requireNonNull(b.bots, "bots");
    this.capacity = requireNonNull(b.capacity, "capacity");
    PendingReports pending = b.pending != null ? b.pending : PendingReports.inMemory();
    this.ownsScheduler = b.scheduler == null;
    this.scheduler = b.scheduler != null ? b.scheduler : newScheduler("botfleet-link");
    this.metrics = b.metrics != null ? b.metrics : new LinkMetrics();
    this.backoff = b.backoff != null ? b.backoff : new Backoff();
    this.reprobeInterval = b.reprobeInterval;
    this.heartbeatOverride = b.heartbeatInterval;
    this.welcomeTimeout = b.welcomeTimeout;
    this.assignments =
        new Assignments(
            lock,
            credential.machineId(),
            bots,
            pending,
            b.journal != null ? b.journal : AssignmentJournal.none(),
            this::sendOnCurrent,
            () -> settings.getBots(),
            b.clock);
    metrics.track(pending);
  }

  /**
   * A plaintext Netty channel to {@code target} ({@code HOST:PORT}) with the agent's keepalive:
   * pings after 30 s without reads, also without calls.
   */
  public static ManagedChannel channelTo(String target) {
    return channelTo(target, io.grpc.InsecureChannelCredentials.create());
  }

  /** A channel with {@code credentials} (mutual TLS, issue 12) and the agent's keepalive. */
  public static ManagedChannel channelTo(String target, io.grpc.ChannelCredentials credentials) {
    return NettyChannelBuilder.forTarget(requireNonNull(target, "target"), credentials)
        .keepAliveTime(KEEPALIVE_TIME.toSeconds(), TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .userAgent("botfleet-agent/" + Messages.agentVersion())
        .build();
  }

  /** A single daemon thread scheduler, for callers that share one among links. */
  public static ScheduledExecutorService newScheduler(String name) {
    return newScheduler(name, 1);
  }

  public static ScheduledExecutorService newScheduler(String name, int threads) {
    AtomicLong count = new AtomicLong();
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            threads,
            r -> {
              Thread t = new Thread(r, name + "-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  public static Builder builder(Channel channel, MachineCredential credential) {
    return new Builder(channel, credential);
  }

  /** Opens the stream (and keeps it open) in the background. */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("link of " + credential.machineId() + ": already started");
    }
    if (reprobeInterval != null) {
      synchronized (lock) {
        reprobeTask =
            scheduler.scheduleWithFixedDelay(
                this::reprobe,
                reprobeInterval.toNanos(),
                reprobeInterval.toNanos(),
                TimeUnit.NANOSECONDS);
      }
    }
    execute(this::connect);
  }

  /** Whether a stream is up and welcomed. */
  public boolean connected() {
    Session s = current();
    return s != null && s.welcomed;
  }

  /** The last Welcome, once one arrived. */
  public Optional<Welcome> welcome() {
    return Optional.ofNullable(welcome);
  }

  /** The orchestrator's latest settings (default instance before the first Welcome). */
  public Settings settings() {
    return settings;
  }

  public MachineCredential credential() {
    return credential;
  }

  /** Runs assigned here and not finished yet. */
  public Set<String> runningRunIds() {
    return assignments.runningRunIds();
  }

  public PendingReports pendingReports() {
    return assignments.pendingReports();
  }

  public LinkMetrics metrics() {
    return metrics;
  }

  /**
   * Completes normally when the link is closed, exceptionally with a {@link BotfleetException} when
   * the orchestrator refused this machine's credential (then the link stopped retrying).
   */
  public CompletableFuture<Void> terminated() {
    return terminated.copy();
  }

  /**
   * Stops the link: the stream is closed, no reconnects follow. Runs in progress are left alone
   * (the orchestrator handles a lost machine, SPEC R5). Owned channel and scheduler are shut down.
   */
  @Override
  public void close() {
    if (!closeCalled.compareAndSet(false, true)) {
      return;
    }
    Session s;
    synchronized (lock) {
      closed = true;
      s = current;
      current = null;
      cancel(reconnectTask);
      cancel(reprobeTask);
      if (s != null) {
        s.stopTimers();
        if (s.welcomed) {
          metrics.disconnected();
        }
      }
    }
    if (s != null) {
      if (ownsChannel) {
        s.halfClose();
      } else {
        s.cancel("agent link closed");
      }
    }
    if (ownsChannel && channel instanceof ManagedChannel managed) {
      managed.shutdown();
      try {
        if (!managed.awaitTermination(3, TimeUnit.SECONDS)) {
          managed.shutdownNow();
          managed.awaitTermination(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        managed.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    log.info("event=link_closed machine={}", credential.machineId());
    terminated.complete(null);
  }

  // ---- stream life cycle ----

  private Session current() {
    synchronized (lock) {
      return current;
    }
  }

  private void connect() {
    Session s;
    List<String> runningIds;
    Optional<String> unusable =
        renewal == null ? Optional.empty() : renewal.unusable(clock.instant());
    synchronized (lock) {
      reconnectTask = null;
      if (closed || current != null) {
        return;
      }
      if (unusable.isPresent()) {
        // Every handshake would fail: stop with the reason instead of retrying for ever.
        closed = true;
        cancel(reprobeTask);
      }
    }
    if (unusable.isPresent()) {
      log.error(
          "event=certificate_unusable machine={} message=\"{}\"",
          credential.machineId(),
          unusable.get());
      terminated.completeExceptionally(
          new BotfleetException(ErrorReason.A1_CERTIFICATE_EXPIRED, unusable.get()));
      return;
    }
    synchronized (lock) {
      if (closed || current != null) {
        return;
      }
      attempts++;
      s = new Session(attempts);
      current = s;
      runningIds = assignments.runningIdsLocked();
    }
    if (s.number > 1) {
      metrics.reconnect();
    }
    if (channel instanceof ManagedChannel managed) {
      // The channel's own back-off can reach minutes; ours decides when to try.
      managed.resetConnectBackoff();
    }
    MachineCapacity hello = probe();
    log.debug(
        "event=connecting machine={} attempt={} running_runs={}",
        credential.machineId(),
        s.number,
        runningIds.size());
    try {
      AgentServiceGrpc.newStub(channel).connect(s);
    } catch (RuntimeException e) {
      ended(s, Status.fromThrowable(e));
      return;
    }
    lastSentCapacity = hello;
    s.send(
        AgentMessage.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setMachineId(credential.machineId())
                    .setCredential(credential.credential())
                    .setCapacity(hello)
                    .addAllRunningRunIds(runningIds)
                    .setDurableAssignments(assignments.durable()))
            .build());
    synchronized (lock) {
      if (current == s && !s.welcomed) {
        s.welcomeTimer =
            schedule(
                () -> {
                  if (!s.welcomed) {
                    s.cancel("no Welcome within " + welcomeTimeout.toMillis() + " ms");
                  }
                },
                welcomeTimeout);
      }
    }
  }

  private void ended(Session s, Status status) {
    Duration retryIn = null;
    boolean fatal = false;
    boolean wasWelcomed;
    synchronized (lock) {
      if (s != current) {
        return;
      }
      current = null;
      wasWelcomed = s.welcomed;
      s.stopTimers();
      if (wasWelcomed) {
        metrics.disconnected();
      }
      if (closed) {
        return;
      }
      if (status.getCode() == Status.Code.UNAUTHENTICATED) {
        fatal = true;
        closed = true;
        cancel(reprobeTask);
      } else {
        retryIn = capToHeartbeat(backoff.next());
        reconnectTask = schedule(this::connect, retryIn);
      }
    }
    s.markClosed();
    String why = status.getDescription() == null ? "" : status.getDescription();
    if (fatal) {
      log.error(
          "event=credential_refused machine={} code={} message=\"{}\"",
          credential.machineId(),
          status.getCode(),
          why);
      terminated.completeExceptionally(
          new BotfleetException(
              ErrorReason.A1_CREDENTIAL_REFUSED,
              "the orchestrator refused the credential of machine "
                  + credential.machineId()
                  + ": "
                  + (why.isEmpty() ? "UNAUTHENTICATED" : why)
                  + " (expected: a valid machine credential; if the machine was removed or its"
                  + " credential revoked, delete "
                  + MachineCredential.FILE
                  + " from the data directory and enrol again with a new --join-token)"));
      return;
    }
    // A lost connection is worth a warning; each failed retry while the orchestrator is away is
    // not.
    String line =
        "event=disconnected machine={} code={} message=\"{}\" was_connected={} retry_in_ms={}";
    Object[] args = {
      credential.machineId(), status.getCode(), why, wasWelcomed, retryIn.toMillis()
    };
    if (wasWelcomed) {
      log.warn(line, args);
    } else {
      log.info(line, args);
    }
  }

  /**
   * Once the orchestrator has told us its heartbeat interval, retry at least that often (jittered).
   * A restarted orchestrator declares machines OFFLINE after offline-after (at least two heartbeat
   * intervals), and their runs lost (R5); a longer back-off would lose the results of runs that
   * finished while it was down (A6) instead of reporting them.
   */
  private Duration capToHeartbeat(Duration delay) {
    Duration every = heartbeatOverride;
    if (every == null && settings.hasHeartbeatInterval()) {
      every = Messages.positive(settings.getHeartbeatInterval());
    }
    if (every == null || delay.compareTo(every) <= 0) {
      return delay;
    }
    double factor = 0.5 + 0.5 * java.util.concurrent.ThreadLocalRandom.current().nextDouble();
    return Duration.ofNanos(Math.max(1, (long) (every.toNanos() * factor)));
  }

  // ---- inbound ----

  private void handle(Session s, OrchestratorMessage message) {
    if (current() != s) {
      return;
    }
    try {
      switch (message.getBodyCase()) {
        case WELCOME:
          onWelcome(s, message.getWelcome());
          break;
        case SETTINGS:
          synchronized (lock) {
            if (current == s) {
              applySettings(s, message.getSettings());
            }
          }
          break;
        case ASSIGN:
          assignments.onAssign(s::send, message.getAssign());
          break;
        case CANCEL:
          assignments.onCancel(message.getCancel().getRunId(), message.getCancel().getReason());
          break;
        case REPORT_ACK:
          assignments.onReportAck(message.getReportAck().getRunId());
          break;
        case CERTIFICATE_ISSUED:
          if (renewal != null) {
            renewal.renewed(message.getCertificateIssued().getCertificate());
          }
          break;
        case ROTATE_CERTIFICATE:
          if (renewal != null) {
            renewal.rotate();
            requestRenewal(s);
          }
          break;
        default:
          log.warn(
              "event=unknown_message machine={} body={}",
              credential.machineId(),
              message.getBodyCase());
      }
    } catch (RuntimeException e) {
      log.error(
          "event=message_failed machine={} body={} error=\"{}\"",
          credential.machineId(),
          message.getBodyCase(),
          e.toString(),
          e);
    }
  }

  private void onWelcome(Session s, Welcome w) {
    int resent;
    synchronized (lock) {
      if (current != s) {
        return;
      }
      welcome = w;
      boolean first = !s.welcomed;
      s.welcomed = true;
      cancel(s.welcomeTimer);
      applySettings(s, w.getSettings());
      if (!first) {
        return;
      }
      backoff.reset();
      metrics.connected();
      resent = assignments.resend(s::send);
    }
    if (!w.getMachineId().isEmpty() && !w.getMachineId().equals(credential.machineId())) {
      log.warn(
          "event=welcome_machine_mismatch machine={} welcome_machine={}",
          credential.machineId(),
          w.getMachineId());
    }
    log.info(
        "event=connected machine={} name={} environment={} attempt={} bots={} maintenance={}"
            + " pending_reports_resent={}",
        credential.machineId(),
        w.getMachineName(),
        w.getEnvironment(),
        s.number,
        w.getSettings().getBots(),
        w.getSettings().getMaintenance(),
        resent);
  }

  /** Called with {@code lock} held. */
  private void applySettings(Session s, Settings newSettings) {
    Settings previous = settings;
    settings = newSettings;
    bots.setBots(Math.max(0, newSettings.getBots()));
    Duration every = heartbeatOverride;
    if (every == null) {
      every =
          newSettings.hasHeartbeatInterval()
              ? Messages.positive(newSettings.getHeartbeatInterval())
              : null;
    }
    if (every == null) {
      every = DEFAULT_HEARTBEAT;
    }
    if (every.compareTo(MIN_HEARTBEAT) < 0) {
      every = MIN_HEARTBEAT;
    }
    if (s.heartbeat == null || !every.equals(s.heartbeatEvery)) {
      cancel(s.heartbeat);
      s.heartbeatEvery = every;
      s.heartbeat =
          scheduler.scheduleAtFixedRate(
              () -> heartbeat(s), every.toNanos(), every.toNanos(), TimeUnit.NANOSECONDS);
    }
    if (!newSettings.equals(previous)) {
      log.info(
          "event=settings machine={} bots={} maintenance={} heartbeat_ms={}",
          credential.machineId(),
          newSettings.getBots(),
          newSettings.getMaintenance(),
          every.toMillis());
    }
  }

  // ---- outbound, periodic ----

  private void heartbeat(Session s) {
    try {
      if (current() != s || !s.welcomed) {
        return;
      }
      MachineCapacity probed = lastProbed;
      Heartbeat beat =
          Heartbeat.newBuilder()
              .setSequence(heartbeatSequence.incrementAndGet())
              .setActiveSessions(probed == null ? 0 : probed.getActiveSessions())
              .setBusyBots(bots.busy())
              .build();
      if (s.send(AgentMessage.newBuilder().setHeartbeat(beat).build())) {
        metrics.heartbeat();
      }
      requestRenewal(s);
    } catch (RuntimeException e) {
      log.error("event=heartbeat_failed machine={} error=\"{}\"", credential.machineId(), e, e);
    }
  }

  /** Asks for the next client certificate when one is due (issue 12 §1). */
  private void requestRenewal(Session s) {
    if (renewal == null) {
      return;
    }
    renewal
        .renewalCsr(clock.instant())
        .ifPresent(
            csr ->
                s.send(
                    AgentMessage.newBuilder()
                        .setRenewCertificate(RenewCertificate.newBuilder().setCsr(csr))
                        .build()));
  }

  /** Sends the capacity when it differs from what the orchestrator last heard (SPEC A2). */
  private void reprobe() {
    try {
      MachineCapacity now = probe();
      if (now.equals(lastSentCapacity)) {
        return;
      }
      synchronized (lock) {
        Session s = current;
        if (s != null && s.welcomed && s.send(AgentMessage.newBuilder().setCapacity(now).build())) {
          lastSentCapacity = now;
          log.info(
              "event=capacity_changed machine={} max_sessions={} active_sessions={} flows={}",
              credential.machineId(),
              now.getMaxSessions(),
              now.getActiveSessions(),
              now.getInstalledFlowsCount());
        }
      }
    } catch (RuntimeException e) {
      log.error("event=reprobe_failed machine={} error=\"{}\"", credential.machineId(), e, e);
    }
  }

  private MachineCapacity probe() {
    try {
      MachineCapacity now = requireNonNull(capacity.get(), "capacity");
      lastProbed = now;
      return now;
    } catch (RuntimeException e) {
      log.warn("event=probe_failed machine={} error=\"{}\"", credential.machineId(), e.toString());
      MachineCapacity last = lastProbed;
      return last != null ? last : MachineCapacity.getDefaultInstance();
    }
  }

  // ---- helpers ----

  /** Called with {@code lock} held: writes on the current stream once it is welcomed. */
  private boolean sendOnCurrent(AgentMessage message) {
    Session s = current;
    return s != null && s.welcomed && s.send(message);
  }

  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    try {
      return scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null; // shutting down
    }
  }

  private void execute(Runnable task) {
    try {
      scheduler.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("event=task_rejected machine={}", credential.machineId());
    }
  }

  private static void cancel(ScheduledFuture<?> task) {
    if (task != null) {
      task.cancel(false);
    }
  }

  /** One Connect stream; its writer is the only way to write to it. */
  private final class Session implements ClientResponseObserver<AgentMessage, OrchestratorMessage> {
    final int number;
    volatile boolean welcomed;
    // guarded by AgentLink.this.lock:
    ScheduledFuture<?> heartbeat;
    Duration heartbeatEvery;
    ScheduledFuture<?> welcomeTimer;
    // guarded by this:
    private ClientCallStreamObserver<AgentMessage> out;
    private boolean writable = true;

    Session(int number) {
      this.number = number;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
      synchronized (this) {
        out = requestStream;
      }
    }

    /** Writes one message; {@code false} when the stream is closed or the write failed. */
    synchronized boolean send(AgentMessage message) {
      if (!writable || out == null) {
        return false;
      }
      try {
        out.onNext(message);
        return true;
      } catch (RuntimeException e) {
        writable = false;
        log.debug("event=write_failed machine={} error=\"{}\"", credential.machineId(), e);
        return false;
      }
    }

    void halfClose() {
      ClientCallStreamObserver<AgentMessage> stream;
      synchronized (this) {
        if (!writable || out == null) {
          return;
        }
        writable = false;
        stream = out;
      }
      try {
        stream.onCompleted();
      } catch (RuntimeException e) {
        log.debug("event=half_close_failed machine={} error=\"{}\"", credential.machineId(), e);
      }
    }

    void cancel(String why) {
      ClientCallStreamObserver<AgentMessage> stream;
      synchronized (this) {
        writable = false;
        stream = out;
      }
      if (stream != null) {
        stream.cancel(why, null);
      }
    }

    synchronized void markClosed() {
      writable = false;
    }

    /** Called with the link's lock held. */
    void stopTimers() {
      AgentLink.cancel(heartbeat);
      AgentLink.cancel(welcomeTimer);
      heartbeat = null;
      welcomeTimer = null;
    }

    @Override
    public void onNext(OrchestratorMessage message) {
      handle(this, message);
    }

    @Override
    public void onError(Throwable t) {
      ended(this, Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended(this, Status.UNAVAILABLE.withDescription("stream closed by the orchestrator"));
    }
  }

  /** Builds an {@link AgentLink}; {@code bots} and {@code capacity} are required. */
  public static final class Builder {
    private final Channel channel;
    private final MachineCredential credential;
    private boolean ownsChannel;
    private Bots bots;
    private Supplier<MachineCapacity> capacity;
    private PendingReports pending;
    private AssignmentJournal journal;
    private ScheduledExecutorService scheduler;
    private LinkMetrics metrics;
    private Backoff backoff;
    private Duration reprobeInterval = REPROBE_INTERVAL;
    private Duration heartbeatInterval;
    private Duration welcomeTimeout = WELCOME_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private CertificateRenewal renewal;

    /** Renews the client certificate over the stream (mutual TLS); null: never. */
    public Builder certificateRenewal(CertificateRenewal renewal) {
      this.renewal = renewal;
      return this;
    }

    private Builder(Channel channel, MachineCredential credential) {
      this.channel = requireNonNull(channel, "channel");
      this.credential = requireNonNull(credential, "credential");
    }

    /** Shut the channel down on {@link AgentLink#close()} (default: the caller owns it). */
    public Builder ownsChannel(boolean owns) {
      this.ownsChannel = owns;
      return this;
    }

    public Builder bots(Bots bots) {
      this.bots = requireNonNull(bots, "bots");
      return this;
    }

    /** Probes the machine (SPEC A2); called for every Hello and every re-probe. */
    public Builder capacity(Supplier<MachineCapacity> capacity) {
      this.capacity = requireNonNull(capacity, "capacity");
      return this;
    }

    /** Default: in memory. */
    public Builder pending(PendingReports pending) {
      this.pending = requireNonNull(pending, "pending");
      return this;
    }

    /**
     * Keeps accepted assignments in {@code dir} across restarts (R5, Hello.durable_assignments);
     * default: none, so a Hello does not vouch for the runs it leaves out.
     */
    public Builder assignmentJournal(java.nio.file.Path dir) {
      this.journal = AssignmentJournal.inDirectory(dir);
      return this;
    }

    /** A scheduler shared with other links; default: the link's own single thread. */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    public Builder metrics(LinkMetrics metrics) {
      this.metrics = requireNonNull(metrics, "metrics");
      return this;
    }

    public Builder backoff(Backoff backoff) {
      this.backoff = requireNonNull(backoff, "backoff");
      return this;
    }

    /** How often to re-probe capacity; {@code null} never (default 30 s). */
    public Builder reprobeInterval(Duration every) {
      if (every != null && (every.isZero() || every.isNegative())) {
        throw new IllegalArgumentException("reprobeInterval: " + every + " (expected: > 0)");
      }
      this.reprobeInterval = every;
      return this;
    }

    /** A fixed heartbeat interval instead of the orchestrator's; {@code null} to follow it. */
    public Builder heartbeatInterval(Duration every) {
      if (every != null && (every.isZero() || every.isNegative())) {
        throw new IllegalArgumentException("heartbeatInterval: " + every + " (expected: > 0)");
      }
      this.heartbeatInterval = every;
      return this;
    }

    public Builder welcomeTimeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("welcomeTimeout: " + timeout + " (expected: > 0)");
      }
      this.welcomeTimeout = timeout;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    public AgentLink build() {
      return new AgentLink(this);
    }
  }

  @Override
  public String toString() {
    return "AgentLink[" + credential.machineId() + (connected() ? ", connected]" : "]");
  }
}
