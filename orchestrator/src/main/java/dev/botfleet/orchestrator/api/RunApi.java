package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.runs.DesktopFlow;
import dev.botfleet.orchestrator.runs.Priority;
import dev.botfleet.orchestrator.runs.Run;
import dev.botfleet.orchestrator.runs.RunCursor;
import dev.botfleet.orchestrator.runs.RunPage;
import dev.botfleet.orchestrator.runs.RunService;
import dev.botfleet.orchestrator.runs.RunState;
import dev.botfleet.orchestrator.runs.RunTarget;
import dev.botfleet.proto.v1.CancelRunRequest;
import dev.botfleet.proto.v1.CancelRunResponse;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.GetRunResponse;
import dev.botfleet.proto.v1.ListDesktopFlowsRequest;
import dev.botfleet.proto.v1.ListDesktopFlowsResponse;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.ListRunsResponse;
import dev.botfleet.proto.v1.RunError;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.SetDesktopFlowRequest;
import dev.botfleet.proto.v1.SetDesktopFlowResponse;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.proto.v1.SubmitRunResponse;
import dev.botfleet.proto.v1.SubmitRunResult;
import dev.botfleet.proto.v1.SubmitRunsRequest;
import dev.botfleet.proto.v1.SubmitRunsResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

public final class RunApi extends RunServiceGrpc.RunServiceImplBase {
  private final RunService runs;
  private final EnvironmentService environments;

  public RunApi(RunService runs, EnvironmentService environments) {
    this.runs = runs;
    this.environments = environments;
  }

  @Override
  public void submitRun(SubmitRunRequest req, StreamObserver<SubmitRunResponse> out) {
    Unary.respond(
        out,
        () -> {
          RunService.SubmitRequest request = request(req);
          var submitted = runs.submit(caller(), request);
          return SubmitRunResponse.newBuilder()
              .setRun(run(answer(submitted, request)))
              .setCreated(submitted.created())
              .build();
        });
  }

  /**
   * Issue 9: each run as SubmitRun takes it, answered one by one. A run breaking a bound of
   * docs/limits.md (checked here: {@link RequestLimits#CHECKED_PER_ITEM}) or refused by a rule gets
   * its own error; refusals of permission are audited per item (O4) as the call itself closes OK.
   */
  @Override
  public void submitRuns(SubmitRunsRequest req, StreamObserver<SubmitRunsResponse> out) {
    Unary.respond(
        out,
        () -> {
          dev.botfleet.orchestrator.admin.Principal caller = caller();
          if (req.getRunsCount() == 0) {
            throw BotfleetException.invalid(
                ErrorReason.R1_BATCH_EMPTY,
                "runs: none (expected: 1 to " + RunService.MAX_BATCH + " runs)");
          }
          int n = req.getRunsCount();
          RuntimeException[] refused = new RuntimeException[n];
          List<RunService.SubmitRequest> valid = new ArrayList<>(n);
          List<Integer> validAt = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            SubmitRunRequest entry = req.getRuns(i);
            RequestLimits.Violation v = RequestLimits.check(entry);
            if (v != null) {
              refused[i] = v.status();
              continue;
            }
            try {
              valid.add(request(entry));
              validAt.add(i);
            } catch (RuntimeException e) {
              refused[i] = e;
            }
          }
          List<RunService.BatchResult> results =
              valid.isEmpty() ? List.of() : runs.submitAll(caller, valid);
          SubmitRunResult[] answers = new SubmitRunResult[n];
          for (int j = 0; j < results.size(); j++) {
            int i = validAt.get(j);
            RunService.BatchResult r = results.get(j);
            if (r.error() != null) {
              refused[i] = r.error();
              continue;
            }
            answers[i] =
                SubmitRunResult.newBuilder()
                    .setRun(run(brief(r.submitted(), valid.get(j))).toBuilder().clearInputs())
                    .setCreated(r.submitted().created())
                    .build();
          }
          var b = SubmitRunsResponse.newBuilder();
          for (int i = 0; i < n; i++) {
            b.addResults(answers[i] != null ? answers[i] : error(refused[i]));
          }
          return b.build();
        });
  }

  /** One run's refusal as SubmitRun would have failed with it: code, catalogue reason, message. */
  private static SubmitRunResult error(RuntimeException e) {
    StatusRuntimeException status = GrpcErrors.toStatus(e);
    if (status.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED) {
      RefusalAudit.itemRefused(status);
    }
    return SubmitRunResult.newBuilder()
        .setError(
            RunError.newBuilder()
                .setCode(status.getStatus().getCode().value())
                .setReason(GrpcErrors.reason(status))
                .setMessage(
                    GrpcErrors.clip(
                        status.getStatus().getDescription(), GrpcErrors.MAX_DESCRIPTION)))
        .build();
  }

  /**
   * A new run is QUEUED and unassigned: answer from what we have (the hot path); GetRun shows why
   * it waits. A retried key returns the run as it is now.
   */
  private RunService.RunView answer(RunService.Submitted submitted, RunService.SubmitRequest req) {
    return submitted.created()
        ? new RunService.RunView(submitted.run(), null, null, req.targetName())
        : runs.get(submitted.run().id());
  }

  /** As {@link #answer}, without the wait reason of a retried run (GetRun has it). */
  private RunService.RunView brief(RunService.Submitted submitted, RunService.SubmitRequest req) {
    return submitted.created()
        ? new RunService.RunView(submitted.run(), null, null, req.targetName())
        : runs.brief(submitted.run());
  }

  /** The domain request of one SubmitRunRequest; a missing target is refused here (R1). */
  private static RunService.SubmitRequest request(SubmitRunRequest req) {
    RunTarget.Kind kind;
    String name;
    switch (req.getTarget().getKindCase()) {
      case MACHINE -> {
        kind = RunTarget.Kind.MACHINE;
        name = req.getTarget().getMachine();
      }
      case GROUP -> {
        kind = RunTarget.Kind.GROUP;
        name = req.getTarget().getGroup();
      }
      case HOSTED_MACHINE -> {
        kind = RunTarget.Kind.HOSTED_MACHINE;
        name = req.getTarget().getHostedMachine();
      }
      case HOSTED_GROUP -> {
        kind = RunTarget.Kind.HOSTED_GROUP;
        name = req.getTarget().getHostedGroup();
      }
      default ->
          throw BotfleetException.invalid(
              ErrorReason.R1_TARGET_REQUIRED, "target: missing (expected: a machine or a group)");
    }
    Priority priority = ProtoEnums.PRIORITY.domainOrNull(req.getPriority());
    return new RunService.SubmitRequest(
        req.getEnvironment(),
        req.getFlow(),
        kind,
        name,
        priority,
        req.getInputsMap(),
        req.getTriggeringFlow(),
        ProtoMapping.duration(req.getQueueTimeout()),
        ProtoMapping.duration(req.getRunTimeout()),
        req.getIdempotencyKey());
  }

  @Override
  public void getRun(GetRunRequest req, StreamObserver<GetRunResponse> out) {
    Unary.respond(
        out,
        () -> {
          return GetRunResponse.newBuilder()
              .setRun(run(runs.get(caller(), req.getRunId())))
              .build();
        });
  }

  @Override
  public void listRuns(ListRunsRequest req, StreamObserver<ListRunsResponse> out) {
    Unary.respond(
        out,
        () -> {
          caller();
          RunState state = ProtoEnums.RUN_STATE.domainOrNull(req.getState());
          int size = Paging.size(req.getPageSize());
          List<String> filter =
              List.of(req.getEnvironment(), Integer.toString(req.getStateValue()));
          List<String> key = Paging.decode(req.getPageToken(), "ListRuns", filter, 3);
          RunCursor after =
              key == null
                  ? null
                  : new RunCursor(
                      Instant.ofEpochSecond(Paging.number(key.get(0)), Paging.number(key.get(1))),
                      Paging.number(key.get(2)));
          RunPage<RunService.RunView> page =
              runs.list(caller(), req.getEnvironment(), state, after, size);
          var b = ListRunsResponse.newBuilder();
          page.items().forEach(v -> b.addRuns(run(v)));
          RunCursor next = page.next();
          if (next != null) {
            b.setNextPageToken(
                Paging.encode(
                    "ListRuns",
                    filter,
                    List.of(
                        Long.toString(next.submittedAt().getEpochSecond()),
                        Long.toString(next.submittedAt().getNano()),
                        Long.toString(next.seq()))));
          }
          return b.build();
        });
  }

  @Override
  public void cancelRun(CancelRunRequest req, StreamObserver<CancelRunResponse> out) {
    Unary.respond(
        out,
        () ->
            CancelRunResponse.newBuilder()
                .setRun(run(runs.cancel(caller(), req.getRunId())))
                .build());
  }

  @Override
  public void setDesktopFlow(
      SetDesktopFlowRequest req, StreamObserver<SetDesktopFlowResponse> out) {
    Unary.respond(
        out,
        () -> {
          DesktopFlow f =
              runs.setDesktopFlow(
                  caller(),
                  req.getEnvironment(),
                  req.getName(),
                  req.getRetryable(),
                  ProtoMapping.duration(req.getQueueTimeout()),
                  ProtoMapping.duration(req.getRunTimeout()));
          return SetDesktopFlowResponse.newBuilder().setFlow(flow(req.getEnvironment(), f)).build();
        });
  }

  @Override
  public void listDesktopFlows(
      ListDesktopFlowsRequest req, StreamObserver<ListDesktopFlowsResponse> out) {
    Unary.respond(
        out,
        () -> {
          new Scopes(environments).readable(req.getEnvironment(), "desktop flows");
          var page =
              Paging.page(
                  runs.desktopFlows(req.getEnvironment()).stream()
                      .map(f -> flow(req.getEnvironment(), f))
                      .toList(),
                  dev.botfleet.proto.v1.DesktopFlow::getName,
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListDesktopFlows",
                  List.of(req.getEnvironment()));
          return ListDesktopFlowsResponse.newBuilder()
              .addAllFlows(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  private static dev.botfleet.proto.v1.DesktopFlow flow(String env, DesktopFlow f) {
    return dev.botfleet.proto.v1.DesktopFlow.newBuilder()
        .setEnvironment(env)
        .setName(f.name())
        .setRetryable(f.retryable())
        .setQueueTimeout(ProtoMapping.duration(f.queueTimeout()))
        .setRunTimeout(ProtoMapping.duration(f.runTimeout()))
        .build();
  }

  private dev.botfleet.proto.v1.Run run(RunService.RunView v) {
    Run r = v.run();
    var target = dev.botfleet.proto.v1.RunTarget.newBuilder();
    switch (r.target().kind()) {
      case MACHINE -> target.setMachine(v.targetName());
      case GROUP -> target.setGroup(v.targetName());
      case HOSTED_MACHINE -> target.setHostedMachine(v.targetName());
      case HOSTED_GROUP -> target.setHostedGroup(v.targetName());
    }
    var b =
        dev.botfleet.proto.v1.Run.newBuilder()
            .setId(r.id())
            .setEnvironment(environments.requireById(r.environmentId()).name())
            .setFlow(r.flowName())
            .setTarget(target)
            .setPriority(ProtoEnums.PRIORITY.proto(r.priority()))
            .putAllInputs(r.inputs())
            .setTriggeringFlow(r.triggeringFlow() == null ? "" : r.triggeringFlow())
            .setState(ProtoEnums.RUN_STATE.proto(r.state()))
            .setMachine(v.machineName() == null ? "" : v.machineName())
            .setBotId(r.botId() == null ? "" : r.botId())
            .setAttempt(r.attempt())
            .setSubmittedAt(ProtoMapping.ts(r.submittedAt()))
            .setQueueTimeout(ProtoMapping.duration(r.queueTimeout()))
            .setRunTimeout(ProtoMapping.duration(r.runTimeout()))
            .putAllOutputs(r.outputs())
            .setLogTail(r.logTail() == null ? "" : r.logTail())
            .setFailureReason(ProtoCodes.failureReason(r.failureReason()))
            .setMessage(r.message() == null ? "" : r.message())
            .setSubmittedBy(r.submittedBy());
    if (r.assignedAt() != null) {
      b.setAssignedAt(ProtoMapping.ts(r.assignedAt()));
    }
    if (r.startedAt() != null) {
      b.setStartedAt(ProtoMapping.ts(r.startedAt()));
    }
    if (r.endedAt() != null) {
      b.setEndedAt(ProtoMapping.ts(r.endedAt()));
    }
    if (r.exitCode() != null) {
      b.setExitCode(r.exitCode());
    }
    if (v.waitReason() != null) {
      b.setWaitCode(ProtoCodes.waitCode(v.waitReason().code()))
          .setWaitReason(v.waitReason().words());
    }
    if (r.lateResult() != null) {
      var late = r.lateResult();
      var lb =
          dev.botfleet.proto.v1.LateResult.newBuilder()
              .setOutcome(ProtoEnums.RUN_STATE.proto(late.outcome()))
              .setReportedAt(ProtoMapping.ts(late.reportedAt()));
      if (late.exitCode() != null) {
        lb.setExitCode(late.exitCode());
      }
      if (late.endedAt() != null) {
        lb.setEndedAt(ProtoMapping.ts(late.endedAt()));
      }
      b.setLateResult(lb);
    }
    return b.build();
  }
}
