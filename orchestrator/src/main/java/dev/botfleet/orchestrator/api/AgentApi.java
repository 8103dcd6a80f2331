package dev.botfleet.orchestrator.api;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Duration;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.ThrottledLog;
import dev.botfleet.orchestrator.machines.ClientCertificate;
import dev.botfleet.orchestrator.machines.Enrolment;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.MachineCapacity;
import dev.botfleet.orchestrator.machines.Machines;
import dev.botfleet.orchestrator.runs.AgentGateway;
import dev.botfleet.orchestrator.runs.AgentSessions;
import dev.botfleet.orchestrator.runs.Claim;
import dev.botfleet.orchestrator.runs.Run;
import dev.botfleet.orchestrator.runs.RunReport;
import dev.botfleet.orchestrator.runs.RunReports;
import dev.botfleet.orchestrator.runs.RunService;
import dev.botfleet.orchestrator.runs.RunState;
import dev.botfleet.orchestrator.tls.PeerCertificates;
import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.Assign;
import dev.botfleet.proto.v1.Cancel;
import dev.botfleet.proto.v1.CertificateIssued;
import dev.botfleet.proto.v1.EnrollRequest;
import dev.botfleet.proto.v1.EnrollResponse;
import dev.botfleet.proto.v1.OrchestratorMessage;
import dev.botfleet.proto.v1.ReportAck;
import dev.botfleet.proto.v1.RotateCertificate;
import dev.botfleet.proto.v1.RunFinished;
import dev.botfleet.proto.v1.RunUpdate;
import dev.botfleet.proto.v1.Settings;
import dev.botfleet.proto.v1.Welcome;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent stream (A1–A6) and this replica's {@link AgentGateway}: one session per connected
 * machine. Heartbeats are kept in memory and flushed to the database in one batch per interval, so
 * thousands of idle agents cost one round trip, not thousands.
 */
public final class AgentApi extends AgentServiceGrpc.AgentServiceImplBase
    implements AgentGateway, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentApi.class);

  /** While the database is down every flush fails: logged once per interval (issue 7). */
  private final ThrottledLog heartbeatFlushFailures =
      new ThrottledLog(log, "heartbeat_flush_failed");

  private final Machines machines;
  private final Enrolment enrolment;
  private final RunService runs;
  private final AgentSessions agentSessions;
  private final RunReports reports;
  private final Clock clock;
  private final String replicaId;
  private final java.time.Duration heartbeatInterval;
  private final java.time.Duration offlineAfter;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final Counter heartbeats;

  public AgentApi(
      Machines machines,
      Enrolment enrolment,
      RunService runs,
      AgentSessions agentSessions,
      RunReports reports,
      Clock clock,
      String replicaId,
      java.time.Duration heartbeatInterval,
      java.time.Duration offlineAfter,
      MeterRegistry registry) {
    this.machines = machines;
    this.enrolment = requireNonNull(enrolment, "enrolment");
    this.runs = runs;
    this.agentSessions = agentSessions;
    this.reports = reports;
    this.clock = clock;
    this.replicaId = replicaId;
    this.heartbeatInterval = heartbeatInterval;
    this.offlineAfter = offlineAfter;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "agent-heartbeats");
              t.setDaemon(true);
              return t;
            });
    Gauge.builder("botfleet.agents.connected", sessions, Map::size)
        .description("Agent streams open on this orchestrator replica")
        .register(registry);
    heartbeats =
        Counter.builder("botfleet.agent.heartbeats")
            .description("Heartbeats received from agents")
            .register(registry);
  }

  /** Starts flushing heartbeats (A3); the timer's thread starts here, not in the constructor. */
  public void start() {
    long every = Math.max(200, heartbeatInterval.toMillis());
    timer.scheduleWithFixedDelay(this::flushHeartbeats, every, every, TimeUnit.MILLISECONDS);
  }

  // ------------------------------------------------------------------ A1

  @Override
  public void enroll(EnrollRequest req, StreamObserver<EnrollResponse> out) {
    Unary.respond(
        out,
        () -> {
          var e =
              enrolment.enroll(
                  req.getJoinToken(),
                  capacity(req.getCapacity()),
                  req.getMachineName(),
                  req.getCsr());
          log.info(
              "event=machine_enrolled machine={} environment={}",
              e.machine().name(),
              e.environment().name());
          var response =
              EnrollResponse.newBuilder()
                  .setMachineId(e.machine().id())
                  .setCredential(e.credential())
                  .setEnvironment(e.environment().name())
                  .setMachineName(e.machine().name())
                  .setCaCertificates(e.caCertificatesPem());
          if (e.certificate() != null) {
            response
                .setCertificate(e.certificate().pem())
                .setCertificateExpiresAt(ProtoMapping.ts(e.certificate().expiresAt()));
          }
          return response.build();
        });
  }

  static MachineCapacity capacity(dev.botfleet.proto.v1.MachineCapacity c) {
    return new MachineCapacity(
        ProtoCodes.osFamily(c.getOsFamily()),
        c.getOsVersion(),
        c.getHostname(),
        c.getLogicalCpus(),
        c.getMemoryBytes(),
        c.getActiveSessions(),
        c.getMaxSessions(),
        c.getInstalledFlowsList(),
        c.getAgentVersion());
  }

  // ------------------------------------------------------------------ A3 stream

  private final class Session {
    final String machineId;
    final String machineName;
    final ServerCallStreamObserver<OrchestratorMessage> out;
    volatile Instant lastSeen;
    volatile boolean closed;

    Session(
        String machineId, String machineName, ServerCallStreamObserver<OrchestratorMessage> out) {
      this.machineId = machineId;
      this.machineName = machineName;
      this.out = out;
      this.lastSeen = clock.instant();
    }

    synchronized boolean send(OrchestratorMessage m) {
      if (closed || out.isCancelled()) {
        return false;
      }
      try {
        out.onNext(m);
        return true;
      } catch (RuntimeException e) {
        closed = true;
        return false;
      }
    }

    /** Ends the stream with a catalogued status (issue 8 §2: the agent sees the reason). */
    synchronized void close(io.grpc.StatusRuntimeException status) {
      if (!closed) {
        closed = true;
        try {
          out.onError(status);
        } catch (RuntimeException ignored) {
          // Already closed by the peer.
        }
      }
    }
  }

  @Override
  public StreamObserver<AgentMessage> connect(
      StreamObserver<OrchestratorMessage> responseObserver) {
    ServerCallStreamObserver<OrchestratorMessage> out =
        (ServerCallStreamObserver<OrchestratorMessage>) responseObserver;
    // Cancellation (agent gone) surfaces as onError on the inbound side; nothing else to do here.
    out.setOnCancelHandler(() -> {});
    // Captured here, in the call's context: the certificate the handshake verified (issue 12 §1).
    ClientCertificate peer = PeerCertificates.current();
    return new StreamObserver<>() {
      Session session;

      @Override
      public void onNext(AgentMessage msg) {
        try {
          if (session == null) {
            hello(msg);
            return;
          }
          session.lastSeen = clock.instant();
          switch (msg.getBodyCase()) {
            case HEARTBEAT -> heartbeats.increment();
            case CAPACITY ->
                machines.capacityChanged(session.machineId, capacity(msg.getCapacity()));
            case RUN_UPDATE -> update(session, msg.getRunUpdate());
            case ASSIGN_ACK -> {
              if (!msg.getAssignAck().getAccepted()) {
                agentSessions.refused(
                    session.machineId,
                    msg.getAssignAck().getRunId(),
                    msg.getAssignAck().getAttempt(),
                    msg.getAssignAck().getReason());
              }
            }
            case HELLO -> log.warn("event=duplicate_hello machine={}", session.machineName);
            case RENEW_CERTIFICATE -> renew(session, msg.getRenewCertificate().getCsr());
            default -> {}
          }
        } catch (RuntimeException e) {
          var status = GrpcErrors.toStatus(e);
          if (session != null) {
            session.close(status);
          } else {
            out.onError(status);
          }
        }
      }

      private void hello(AgentMessage msg) {
        if (msg.getBodyCase() != AgentMessage.BodyCase.HELLO) {
          throw BotfleetException.unauthenticated(
              ErrorReason.A3_HELLO_FIRST, "the first message on the stream must be Hello");
        }
        var hello = msg.getHello();
        Instant helloAt = clock.instant();
        Machine m =
            enrolment.hello(
                hello.getMachineId(),
                hello.getCredential(),
                capacity(hello.getCapacity()),
                replicaId,
                peer);
        session = new Session(m.id(), m.name(), out);
        Session previous = sessions.put(m.id(), session);
        if (previous != null) {
          previous.close(
              GrpcErrors.build(
                  ErrorReason.A3_STREAM_REPLACED,
                  "replaced by a newer connection of the same machine"));
        }
        session.send(
            OrchestratorMessage.newBuilder()
                .setWelcome(
                    Welcome.newBuilder()
                        .setMachineId(m.id())
                        .setMachineName(m.name())
                        .setEnvironment(runs.environmentOfMachine(m))
                        .setSettings(settings(m.bots(), m.maintenance())))
                .build());
        log.info(
            "event=agent_connected machine={} bots={} running={}",
            m.name(),
            m.bots(),
            hello.getRunningRunIdsCount());
        if (peer != null && enrolment.rotationDue(m.id())) {
          rotateCertificate(m.id()); // asked while the agent was away or on another replica
        }
        String machineId = m.id();
        // A6, R5: the run rules reconcile what the agent says it still runs.
        agentSessions.connected(
            machineId,
            new HashSet<>(hello.getRunningRunIdsList()),
            hello.getDurableAssignments(),
            helloAt,
            () -> sessions.containsKey(machineId));
      }

      @Override
      public void onError(Throwable t) {
        closed();
      }

      @Override
      public void onCompleted() {
        closed();
        try {
          out.onCompleted();
        } catch (RuntimeException ignored) {
          // Peer already gone.
        }
      }

      private void closed() {
        if (session != null) {
          session.closed = true;
          if (sessions.remove(session.machineId, session)) {
            agentSessions.disconnected(session.machineId);
            machines.lastSeen(session.machineId, session.lastSeen);
            log.info("event=agent_disconnected machine={}", session.machineName);
          }
        }
      }
    };
  }

  /**
   * Issue 12 §3: asks the machine's agent, if its stream is held here, for a certificate for a new
   * key now (machine rotate-credential).
   */
  /** Whether this replica holds the machine's agent stream now. */
  public boolean holdsStream(String machineId) {
    return sessions.containsKey(machineId);
  }

  public boolean rotateCertificate(String machineId) {
    Session s = sessions.get(machineId);
    if (s != null
        && s.send(
            OrchestratorMessage.newBuilder()
                .setRotateCertificate(RotateCertificate.getDefaultInstance())
                .build())) {
      log.info("event=certificate_rotation_asked machine={}", s.machineName);
      return true;
    }
    return false;
  }

  /** Issue 12 §1: signs the agent's new key; a bad CSR is logged, the stream stays up. */
  private void renew(Session s, String csr) {
    try {
      var cert = enrolment.renewCertificate(s.machineId, csr);
      s.send(
          OrchestratorMessage.newBuilder()
              .setCertificateIssued(
                  CertificateIssued.newBuilder()
                      .setCertificate(cert.pem())
                      .setExpiresAt(ProtoMapping.ts(cert.expiresAt())))
              .build());
      log.info(
          "event=certificate_renewed machine={} serial={} expires={}",
          s.machineName,
          cert.serial(),
          cert.expiresAt());
    } catch (BotfleetException e) {
      log.warn(
          "event=certificate_renewal_refused machine={} reason={} message=\"{}\"",
          s.machineName,
          e.reason(),
          e.getMessage());
    }
  }

  private void update(Session s, RunUpdate u) {
    switch (u.getEventCase()) {
      case STARTED ->
          reports.submit(
              RunReport.started(
                  s.machineId,
                  u.getRunId(),
                  u.getAttempt(),
                  ProtoMapping.instant(u.getStarted().getStartedAt())),
              null);
      case FINISHED -> {
        RunFinished f = u.getFinished();
        RunReport report =
            new RunReport(
                s.machineId,
                u.getRunId(),
                u.getAttempt(),
                outcome(f.getOutcome()),
                ProtoMapping.instant(f.getStartedAt()),
                ProtoMapping.instant(f.getEndedAt()),
                f.hasExitCode() ? f.getExitCode() : null,
                f.getOutputsMap(),
                f.getLogTail(),
                ProtoCodes.failureReason(
                    f.getFailureReason(), f.hasExitCode() ? f.getExitCode() : null),
                f.getMessage().isEmpty() ? null : f.getMessage());
        String runId = u.getRunId();
        reports.submit(
            report,
            () ->
                s.send(
                    OrchestratorMessage.newBuilder()
                        .setReportAck(ReportAck.newBuilder().setRunId(runId))
                        .build()));
      }
      default -> {}
    }
  }

  /** An outcome the agent left unspecified counts as a failure: the run did not succeed. */
  private static RunState outcome(dev.botfleet.proto.v1.RunOutcome o) {
    RunState state = ProtoEnums.RUN_OUTCOME.domainOrNull(o);
    return state == null ? RunState.FAILED : state;
  }

  private Settings settings(int bots, boolean maintenance) {
    return Settings.newBuilder()
        .setHeartbeatInterval(
            Duration.newBuilder()
                .setSeconds(heartbeatInterval.toSeconds())
                .setNanos(heartbeatInterval.toNanosPart()))
        .setBots(bots)
        .setMaintenance(maintenance)
        .build();
  }

  private void flushHeartbeats() {
    try {
      Map<String, Instant> seen = new HashMap<>();
      Instant silentSince = clock.instant().minus(offlineAfter);
      sessions.forEach(
          (id, s) -> {
            if (s.lastSeen.isBefore(silentSince)) {
              // An open but silent stream (a frozen agent) is no proof of life. Whichever replica
              // marks the machine OFFLINE, the one holding the stream ends it, so it gets no new
              // work here and the agent must say Hello again when it wakes (issue 7).
              disconnect(id, "no message for " + offlineAfter + "; say Hello again");
            } else {
              seen.put(id, s.lastSeen);
            }
          });
      for (String removed : machines.heartbeats(seen, replicaId)) {
        // Issue 12 §3: removed through another replica; its credential is revoked.
        end(
            removed,
            ErrorReason.A1_MACHINE_REMOVED,
            "the machine was removed; its credential is revoked (enrol again with a new join token)");
      }
    } catch (RuntimeException e) {
      heartbeatFlushFailures.failed(e);
      return;
    }
    heartbeatFlushFailures.succeeded();
  }

  // ------------------------------------------------------------------ AgentGateway

  @Override
  public Set<String> connectedMachines() {
    return sessions.keySet();
  }

  @Override
  public boolean assign(String machineId, Claim claim) {
    Session s = sessions.get(machineId);
    if (s == null) {
      return false;
    }
    Run run = claim.run();
    return s.send(
        OrchestratorMessage.newBuilder()
            .setAssign(
                Assign.newBuilder()
                    .setRunId(run.id())
                    .setAttempt(claim.attempt())
                    .setFlowName(run.flowName())
                    .putAllInputs(run.inputs())
                    .setTimeout(Duration.newBuilder().setSeconds(run.runTimeout().toSeconds())))
            .build());
  }

  @Override
  public void cancel(String machineId, String runId, String reason) {
    Session s = sessions.get(machineId);
    if (s != null) {
      s.send(
          OrchestratorMessage.newBuilder()
              .setCancel(Cancel.newBuilder().setRunId(runId).setReason(reason))
              .build());
    }
  }

  @Override
  public void disconnect(String machineId, String reason) {
    end(machineId, ErrorReason.A3_MARKED_OFFLINE, reason);
  }

  @Override
  public void end(String machineId, ErrorReason reason, String message) {
    Session s = sessions.get(machineId);
    if (s != null && sessions.remove(machineId, s)) {
      agentSessions.disconnected(machineId);
      s.close(GrpcErrors.build(reason, message));
      log.info(
          "event=agent_disconnected machine={} reason={} message={}",
          s.machineName,
          reason,
          message);
    }
  }

  @Override
  public void pushSettings(String machineId, int bots, boolean maintenance) {
    Session s = sessions.get(machineId);
    if (s != null) {
      s.send(OrchestratorMessage.newBuilder().setSettings(settings(bots, maintenance)).build());
    }
  }

  /** Ends every stream, e.g. on shutdown, so agents reconnect elsewhere. */
  @Override
  public void close() {
    timer.shutdownNow();
    flushHeartbeats();
    sessions
        .values()
        .forEach(
            s ->
                s.close(GrpcErrors.build(ErrorReason.SHUTTING_DOWN, "orchestrator shutting down")));
    sessions.clear();
  }

  public List<String> sessionNames() {
    return sessions.values().stream().map(s -> s.machineName).sorted().toList();
  }
}
