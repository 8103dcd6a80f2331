package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.agent.exec.RunListener;
import dev.botfleet.agent.exec.RunRequest;
import dev.botfleet.agent.exec.RunResult;
import dev.botfleet.agent.exec.RunResult.Outcome;
import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.Assign;
import dev.botfleet.proto.v1.AssignAck;
import dev.botfleet.proto.v1.RunUpdate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs assigned to this machine (SPEC A4, A6, R5): which are running here with which attempt,
 * taking an {@code Assign}, cancelling, and reporting each run's start and end on whichever stream
 * {@link AgentLink} has up.
 *
 * <ul>
 *   <li>{@code Assign}: a run already running here is acknowledged again and not started twice; a
 *       run whose final report is still pending is acknowledged and its report re-sent; otherwise
 *       {@code AssignAck{accepted}} when a bot is free (then {@code RunUpdate.started} and {@code
 *       RunUpdate.finished}), or {@code AssignAck{accepted=false, reason=NO_FREE_SLOT}}. The ack is
 *       always written before any update of that run;
 *   <li>a finished report is stored in {@link PendingReports} before it is sent and forgotten on
 *       {@code ReportAck{run_id}};
 *   <li>{@code Cancel{run_id}} stops that run (it then reports CANCELLED); unknown ids are ignored;
 *   <li>on a new stream's Welcome, {@code started} of every run still executing and every pending
 *       final report are sent again.
 * </ul>
 *
 * <p>Its state is guarded by the link's lock, shared with the stream state so that a report and a
 * change of stream never interleave.
 */
final class Assignments {
  private static final Logger log = LoggerFactory.getLogger(Assignments.class);

  /** Writes one message on a stream; {@code false} when it could not be written. */
  interface Outbox {
    boolean send(AgentMessage message);
  }

  private final Object lock;
  private final String machineId;
  private final Bots bots;
  private final PendingReports pending;
  private final AssignmentJournal journal;
  private final Outbox currentStream;
  private final IntSupplier botsGranted;
  private final Clock clock;

  // guarded by lock:
  private final Map<String, Running> running = new LinkedHashMap<>(); // by run id

  /**
   * R5 fencing: the newest attempt seen per run, for the most recent runs. An {@code Assign} for an
   * older attempt is refused: it was overtaken (the orchestrator re-queued the run meanwhile), and
   * taking it could run the flow twice.
   */
  private final Map<String, Integer> seenAttempts =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > SEEN_ATTEMPTS;
        }
      };

  static final int SEEN_ATTEMPTS = 10_000;

  /** Hello.running_run_ids holds at most this many (the orchestrator's request limit). */
  static final int MAX_HELLO_RUN_IDS = 10_000;

  /** AssignAck.reason for an assignment older than one this agent has seen (R5). */
  static final String STALE_ATTEMPT = "STALE_ATTEMPT";

  /** A run executing here: the newest attempt it was assigned with, and when it started. */
  private record Running(int attempt, Instant startedAt) {}

  /**
   * @param lock the link's lock
   * @param currentStream writes on the link's current welcomed stream; called with {@code lock}
   *     held
   * @param botsGranted how many bots the orchestrator's settings grant (for logs)
   */
  Assignments(
      Object lock,
      String machineId,
      Bots bots,
      PendingReports pending,
      AssignmentJournal journal,
      Outbox currentStream,
      IntSupplier botsGranted,
      Clock clock) {
    this.lock = requireNonNull(lock, "lock");
    this.machineId = requireNonNull(machineId, "machineId");
    this.bots = requireNonNull(bots, "bots");
    this.pending = requireNonNull(pending, "pending");
    this.journal = requireNonNull(journal, "journal");
    this.currentStream = requireNonNull(currentStream, "currentStream");
    this.botsGranted = requireNonNull(botsGranted, "botsGranted");
    this.clock = requireNonNull(clock, "clock");
    reportInterrupted();
  }

  /**
   * Runs the journal holds from before a restart: their process died with the agent (or outlived it
   * unsupervised), so each is reported lost (R5) rather than forgotten — the flow may have run in
   * part, and whether to run it again is the orchestrator's decision (retryable flows only).
   */
  private void reportInterrupted() {
    journal
        .interrupted()
        .forEach(
            (runId, entry) -> {
              int attempt = entry.attempt();
              seenAttempts.merge(runId, attempt, Math::max);
              boolean stopped =
                  entry.pid() > 0
                      && entry.processStart() != null
                      && dev.botfleet.agent.exec.ProcessTree.stopLeftover(
                          entry.pid(), entry.processStart(), Duration.ofSeconds(5));
              if (pending.get(runId).isEmpty()) {
                pending.put(
                    Messages.finished(
                        new RunResult(
                            runId,
                            Outcome.FAILED,
                            null,
                            Map.of(),
                            "",
                            null,
                            clock.instant(),
                            "AGENT_LOST",
                            "the agent stopped while it held this run (it may have run in part);"
                                + " it was not started again"),
                        attempt));
                log.warn(
                    "event=interrupted_run_reported machine={} run={} attempt={}"
                        + " leftover_process_stopped={}",
                    machineId,
                    runId,
                    attempt,
                    stopped);
              }
              journal.done(runId);
            });
  }

  /** Hello.durable_assignments: a run this agent does not name was never taken by it. */
  boolean durable() {
    return journal.durable();
  }

  /** Runs assigned here and not finished yet. */
  Set<String> runningRunIds() {
    synchronized (lock) {
      return Set.copyOf(running.keySet());
    }
  }

  /**
   * Called with {@code lock} held: the ids a Hello lists as running: every run this agent holds,
   * executing or with a final report not yet acknowledged (Hello.durable_assignments).
   */
  List<String> runningIdsLocked() {
    java.util.LinkedHashSet<String> ids = new java.util.LinkedHashSet<>(running.keySet());
    for (RunUpdate r : pending.all()) {
      // Hello carries at most 10,000 ids. Runs left out have their reports re-sent right after
      // the Welcome, long before the orchestrator reconciles, so naming them is only a guard.
      if (ids.size() >= MAX_HELLO_RUN_IDS) {
        break;
      }
      ids.add(r.getRunId());
    }
    return List.copyOf(ids);
  }

  PendingReports pendingReports() {
    return pending;
  }

  /**
   * Called with {@code lock} held on the first Welcome of a stream: re-sends {@code started} of
   * every run still executing (so a start report lost with the old stream cannot expire the lease)
   * and every pending final report (A6). Returns how many final reports were re-sent.
   */
  int resend(Outbox stream) {
    running.forEach(
        (runId, run) -> {
          if (run.startedAt() != null) {
            stream.send(
                AgentMessage.newBuilder()
                    .setRunUpdate(Messages.started(runId, run.attempt(), run.startedAt()))
                    .build());
          }
        });
    List<RunUpdate> reports = pending.all();
    for (RunUpdate report : reports) {
      stream.send(AgentMessage.newBuilder().setRunUpdate(report).build());
    }
    return reports.size();
  }

  /** Takes an {@code Assign} that arrived on {@code s}; acks and reports go back on it. */
  void onAssign(Outbox s, Assign a) {
    String runId = a.getRunId();
    int attempt = a.getAttempt();
    if (runId.isBlank()) {
      s.send(ack(a, false, "INVALID_ASSIGN: empty run_id"));
      log.warn("event=assign_refused machine={} reason=empty_run_id", machineId);
      return;
    }
    Duration timeout = a.hasTimeout() ? Messages.positive(a.getTimeout()) : null;
    RunRequest request = null;
    String invalid = null;
    try {
      request =
          new RunRequest(
              runId,
              a.getFlowName(),
              a.getInputsMap(),
              timeout == null ? AgentLink.DEFAULT_RUN_TIMEOUT : timeout);
    } catch (IllegalArgumentException e) {
      invalid = e.getMessage();
    }
    synchronized (lock) {
      int newest = seenAttempts.getOrDefault(runId, 0);
      if (attempt < newest) {
        s.send(ack(a, false, STALE_ATTEMPT));
        log.warn(
            "event=assign_refused machine={} run={} attempt={} reason={} newest_seen={}",
            machineId,
            runId,
            attempt,
            STALE_ATTEMPT,
            newest);
        return;
      }
      seenAttempts.put(runId, attempt);
      Running already = running.get(runId);
      if (already != null) {
        // Repeated assignment (e.g. after a reconnect): acknowledge, never start twice.
        running.put(runId, new Running(Math.max(already.attempt(), attempt), already.startedAt()));
        s.send(ack(a, true, ""));
        log.info(
            "event=assign_repeated machine={} run={} attempt={} state=running",
            machineId,
            runId,
            attempt);
        return;
      }
      Optional<RunUpdate> done = pending.get(runId);
      if (done.isPresent() && done.get().getAttempt() >= attempt) {
        s.send(ack(a, true, ""));
        s.send(AgentMessage.newBuilder().setRunUpdate(done.get()).build());
        log.info(
            "event=assign_repeated machine={} run={} attempt={} state=finished_report_resent",
            machineId,
            runId,
            attempt);
        return;
      }
      if (request == null) {
        s.send(ack(a, true, ""));
        RunUpdate failed =
            Messages.finished(
                new RunResult(
                    runId,
                    Outcome.FAILED,
                    null,
                    Map.of(),
                    "",
                    null,
                    clock.instant(),
                    "INVALID_ASSIGN: " + invalid,
                    "nothing was run: the assignment is invalid: " + invalid),
                attempt);
        pending.put(failed);
        s.send(AgentMessage.newBuilder().setRunUpdate(failed).build());
        log.warn("event=assign_invalid machine={} run={} error=\"{}\"", machineId, runId, invalid);
        return;
      }
      if (!bots.tryReserve(runId)) {
        s.send(ack(a, false, AgentLink.NO_FREE_SLOT));
        log.info(
            "event=assign_refused machine={} run={} attempt={} reason={} busy={} bots={}",
            machineId,
            runId,
            attempt,
            AgentLink.NO_FREE_SLOT,
            bots.busy(),
            botsGranted.getAsInt());
        return;
      }
      running.put(runId, new Running(attempt, null));
      // Durable before the ack: from now on this agent answers for the run across a restart.
      journal.accepted(runId, attempt);
      s.send(ack(a, true, ""));
    }
    log.info(
        "event=run_assigned machine={} run={} attempt={} flow={}",
        machineId,
        runId,
        attempt,
        a.getFlowName());
    bots.launch(request, new Reporter());
  }

  void onCancel(String runId, String reason) {
    boolean found = bots.cancel(runId);
    log.info(
        "event=cancel_requested machine={} run={} found={} reason=\"{}\"",
        machineId,
        runId,
        found,
        reason);
  }

  void onReportAck(String runId) {
    boolean removed = pending.remove(runId);
    log.debug("event=report_acked machine={} run={} was_pending={}", machineId, runId, removed);
  }

  /** Reports one run's progress on whichever stream is up. */
  private final class Reporter implements RunListener {
    @Override
    public void onProcess(String runId, ProcessHandle process) {
      journal.process(runId, process);
    }

    @Override
    public void onStarted(String runId, Instant startedAt) {
      synchronized (lock) {
        Running run = running.get(runId);
        if (run == null) {
          return;
        }
        running.put(runId, new Running(run.attempt(), startedAt));
        currentStream.send(
            AgentMessage.newBuilder()
                .setRunUpdate(Messages.started(runId, run.attempt(), startedAt))
                .build());
      }
    }

    @Override
    public void onFinished(RunResult result) {
      boolean sent;
      int attempt;
      synchronized (lock) {
        Running known = running.remove(result.runId());
        attempt = known == null ? 0 : known.attempt();
        RunUpdate report = Messages.finished(result, attempt);
        pending.put(report);
        journal.done(result.runId());
        sent = currentStream.send(AgentMessage.newBuilder().setRunUpdate(report).build());
      }
      log.info(
          "event=run_finished machine={} run={} attempt={} outcome={} exit_code={} reason=\"{}\""
              + " report={}",
          machineId,
          result.runId(),
          attempt,
          result.outcome(),
          result.exitCode(),
          result.failureReason() == null ? "" : result.failureReason(),
          sent ? "sent" : "pending");
    }
  }

  private static AgentMessage ack(Assign a, boolean accepted, String reason) {
    return AgentMessage.newBuilder()
        .setAssignAck(
            AssignAck.newBuilder()
                .setRunId(a.getRunId())
                .setAttempt(a.getAttempt())
                .setAccepted(accepted)
                .setReason(reason))
        .build();
  }
}
