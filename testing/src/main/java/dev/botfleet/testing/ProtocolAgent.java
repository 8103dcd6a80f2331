package dev.botfleet.testing;

import dev.botfleet.proto.v1.AgentMessage;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.Assign;
import dev.botfleet.proto.v1.AssignAck;
import dev.botfleet.proto.v1.EnrollRequest;
import dev.botfleet.proto.v1.EnrollResponse;
import dev.botfleet.proto.v1.Heartbeat;
import dev.botfleet.proto.v1.Hello;
import dev.botfleet.proto.v1.MachineCapacity;
import dev.botfleet.proto.v1.OrchestratorMessage;
import dev.botfleet.proto.v1.RunFinished;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.proto.v1.RunStarted;
import dev.botfleet.proto.v1.RunUpdate;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A client of the real agent protocol (Enroll + Connect) for API-level tests of the run rules: the
 * test decides when runs start and end. The real agent process is exercised end to end in the e2e
 * module; this drives the orchestrator's stream exactly as an agent does.
 */
public final class ProtocolAgent implements AutoCloseable {
  public final String machineId;
  public final String machineName;
  private final String credential;
  private final Channel channel;
  private final MachineCapacity capacity;
  public final List<Assign> assigned = new CopyOnWriteArrayList<>();
  public final List<String> cancels = new CopyOnWriteArrayList<>();
  public final List<String> acks = new CopyOnWriteArrayList<>();
  public final Map<String, Integer> attempts = new ConcurrentHashMap<>();
  public volatile int bots;
  public volatile boolean refuseAll;

  /**
   * Hello.durable_assignments: the agent vouches that a run it does not name was never taken by it
   * (R5). Off by default, like an agent without a data directory.
   */
  public volatile boolean durable;

  /** Assignments arrive but are neither acknowledged nor kept, like an Assign lost in transit. */
  public volatile boolean dropAssigns;

  /** How the orchestrator ended the latest stream, if it did with an error (issue 12 §3). */
  public volatile Throwable streamError;

  private StreamObserver<AgentMessage> up;

  public static ProtocolAgent enroll(
      Channel channel, String joinToken, String name, int maxSessions) {
    return enroll(channel, joinToken, name, maxSessions, List.of("noop"));
  }

  /** Enrols with the given installed desktop flows (A5). */
  public static ProtocolAgent enroll(
      Channel channel, String joinToken, String name, int maxSessions, List<String> flows) {
    MachineCapacity cap =
        MachineCapacity.newBuilder()
            .setOsFamily(dev.botfleet.proto.v1.OsFamily.OS_FAMILY_LINUX)
            .setOsVersion("test")
            .setHostname(name)
            .setLogicalCpus(4)
            .setMemoryBytes(8L << 30)
            .setMaxSessions(maxSessions)
            .addAllInstalledFlows(flows)
            .build();
    EnrollResponse r =
        AgentServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .enroll(
                EnrollRequest.newBuilder()
                    .setJoinToken(joinToken)
                    .setCapacity(cap)
                    .setMachineName(name)
                    .build());
    return new ProtocolAgent(channel, r.getMachineId(), r.getMachineName(), r.getCredential(), cap);
  }

  private ProtocolAgent(
      Channel channel,
      String machineId,
      String machineName,
      String credential,
      MachineCapacity capacity) {
    this.channel = channel;
    this.machineId = machineId;
    this.machineName = machineName;
    this.credential = credential;
    this.capacity = capacity;
  }

  public ProtocolAgent connect(String... runningRunIds) {
    streamError = null;
    up =
        AgentServiceGrpc.newStub(channel)
            .connect(
                new StreamObserver<>() {
                  @Override
                  public void onNext(OrchestratorMessage m) {
                    switch (m.getBodyCase()) {
                      case WELCOME -> bots = m.getWelcome().getSettings().getBots();
                      case SETTINGS -> bots = m.getSettings().getBots();
                      case ASSIGN -> {
                        Assign a = m.getAssign();
                        if (dropAssigns) {
                          return;
                        }
                        attempts.put(a.getRunId(), a.getAttempt());
                        if (refuseAll) {
                          send(
                              AgentMessage.newBuilder()
                                  .setAssignAck(
                                      AssignAck.newBuilder()
                                          .setRunId(a.getRunId())
                                          .setAttempt(a.getAttempt())
                                          .setAccepted(false)
                                          .setReason("NO_FREE_SLOT"))
                                  .build());
                        } else {
                          assigned.add(a);
                          send(
                              AgentMessage.newBuilder()
                                  .setAssignAck(
                                      AssignAck.newBuilder()
                                          .setRunId(a.getRunId())
                                          .setAttempt(a.getAttempt())
                                          .setAccepted(true))
                                  .build());
                        }
                      }
                      case CANCEL -> cancels.add(m.getCancel().getRunId());
                      case REPORT_ACK -> acks.add(m.getReportAck().getRunId());
                      default -> {}
                    }
                  }

                  @Override
                  public void onError(Throwable t) {
                    streamError = t;
                  }

                  @Override
                  public void onCompleted() {}
                });
    send(
        AgentMessage.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setMachineId(machineId)
                    .setCredential(credential)
                    .setCapacity(capacity)
                    .addAllRunningRunIds(List.of(runningRunIds))
                    .setDurableAssignments(durable))
            .build());
    return this;
  }

  public synchronized void send(AgentMessage m) {
    up.onNext(m);
  }

  public void heartbeat() {
    send(
        AgentMessage.newBuilder()
            .setHeartbeat(Heartbeat.newBuilder().setSequence(System.nanoTime()))
            .build());
  }

  public void started(String runId) {
    send(
        AgentMessage.newBuilder()
            .setRunUpdate(
                RunUpdate.newBuilder()
                    .setRunId(runId)
                    .setAttempt(attempts.get(runId))
                    .setStarted(RunStarted.getDefaultInstance()))
            .build());
  }

  public void finished(String runId, RunOutcome outcome, int exitCode) {
    send(
        AgentMessage.newBuilder()
            .setRunUpdate(
                RunUpdate.newBuilder()
                    .setRunId(runId)
                    .setAttempt(attempts.get(runId))
                    .setFinished(
                        RunFinished.newBuilder()
                            .setOutcome(outcome)
                            .setExitCode(exitCode)
                            .putOutputs("result", "ok")
                            .setLogTail("done\n")))
            .build());
  }

  /** The final report a restarted agent sends for a run it held when it stopped (R5). */
  public void lostOnRestart(String runId) {
    send(
        AgentMessage.newBuilder()
            .setRunUpdate(
                RunUpdate.newBuilder()
                    .setRunId(runId)
                    .setAttempt(attempts.get(runId))
                    .setFinished(
                        RunFinished.newBuilder()
                            .setOutcome(dev.botfleet.proto.v1.RunOutcome.RUN_OUTCOME_FAILED)
                            .setFailureReason(
                                dev.botfleet.proto.v1.RunFailureReason
                                    .RUN_FAILURE_REASON_AGENT_LOST)
                            .setMessage("the agent stopped while it held this run")))
            .build());
  }

  public List<String> assignedRunIds() {
    return assigned.stream().map(Assign::getRunId).toList();
  }

  /** Drops the stream without a goodbye, like a killed agent. */
  public void crash() {
    try {
      up.onError(new RuntimeException("agent killed"));
    } catch (RuntimeException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      up.onCompleted();
    } catch (RuntimeException ignored) {
      // already closed
    }
  }
}
