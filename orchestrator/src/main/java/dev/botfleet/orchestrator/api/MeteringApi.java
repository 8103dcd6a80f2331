package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.metering.RecordResult;
import dev.botfleet.orchestrator.metering.RequestRecorder;
import dev.botfleet.orchestrator.metering.UsageRecord;
import dev.botfleet.orchestrator.metering.UsageReports;
import dev.botfleet.proto.v1.BucketUsage;
import dev.botfleet.proto.v1.GetUsageRequest;
import dev.botfleet.proto.v1.GetUsageResponse;
import dev.botfleet.proto.v1.MeteringServiceGrpc;
import dev.botfleet.proto.v1.RecordUsageRequest;
import dev.botfleet.proto.v1.RecordUsageResponse;
import dev.botfleet.proto.v1.UsageContribution;
import dev.botfleet.proto.v1.UsageRecordResult;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

public final class MeteringApi extends MeteringServiceGrpc.MeteringServiceImplBase {
  /** ErrorInfo metadata lists at most this many throttled keys. */
  private static final int MAX_KEYS_IN_METADATA = 50;

  private final RequestRecorder recorder;
  private final UsageReports usage;
  private final java.time.Clock clock;

  /** Builds and sends answers off the metering writer thread, so it goes on to the next batch. */
  private final java.util.concurrent.Executor responses =
      java.util.concurrent.Executors.newFixedThreadPool(
          2,
          r -> {
            Thread t = new Thread(r, "metering-responses");
            t.setDaemon(true);
            return t;
          });

  private final Scopes scopes;

  public MeteringApi(
      RequestRecorder recorder,
      UsageReports usage,
      java.time.Clock clock,
      dev.botfleet.orchestrator.environments.EnvironmentService environments) {
    this.scopes = new Scopes(environments);
    this.recorder = recorder;
    this.usage = usage;
    this.clock = clock;
  }

  /**
   * Answers after the records are committed (M5), without holding a thread meanwhile. Any record
   * refused by THROTTLE makes the call RESOURCE_EXHAUSTED (M3) with the retry time; the others of
   * the call are committed and a retry of the call counts them once (M4).
   */
  @Override
  public void recordUsage(RecordUsageRequest req, StreamObserver<RecordUsageResponse> out) {
    java.util.concurrent.CompletableFuture<List<RecordResult>> done;
    try {
      var caller = caller();
      List<UsageRecord> records = new ArrayList<>(req.getRecordsCount());
      for (var r : req.getRecordsList()) {
        records.add(
            new UsageRecord(
                r.getSubjectCase() == dev.botfleet.proto.v1.UsageRecord.SubjectCase.FLOW
                    ? r.getFlow()
                    : null,
                r.getSubjectCase() == dev.botfleet.proto.v1.UsageRecord.SubjectCase.USER
                    ? r.getUser()
                    : null,
                r.getEnvironment(),
                r.getRequests(),
                r.getIdempotencyKey()));
      }
      done = recorder.record(caller, records);
    } catch (Throwable t) {
      out.onError(GrpcErrors.toStatus(t));
      return;
    }
    done.whenCompleteAsync(
        (results, failure) -> {
          if (failure != null) {
            Throwable cause =
                failure instanceof java.util.concurrent.CompletionException
                        && failure.getCause() != null
                    ? failure.getCause()
                    : failure;
            out.onError(
                cause instanceof BotfleetException
                    ? GrpcErrors.toStatus(cause)
                    : GrpcErrors.build(
                        ErrorReason.M5_NOT_RECORDED,
                        "the records were not committed ("
                            + cause.getClass().getSimpleName()
                            + ": "
                            + cause.getMessage()
                            + "); retry with the same keys"));
            return;
          }
          var b = RecordUsageResponse.newBuilder();
          List<String> throttled = new ArrayList<>();
          Instant retryAt = null;
          long accepted = 0;
          for (RecordResult r : results) {
            var rb =
                UsageRecordResult.newBuilder()
                    .setIdempotencyKey(r.key())
                    .setOutcome(ProtoEnums.RECORD_OUTCOME.proto(r.outcome()))
                    .setBucket(r.bucket())
                    .setPlan(LicensingMapping.plan(r.plan()))
                    .setOverage(r.overage());
            if (r.retryAt() != null) {
              rb.setRetryAt(ProtoMapping.ts(r.retryAt()));
            }
            b.addResults(rb);
            if (r.outcome() == RecordResult.Outcome.THROTTLED) {
              throttled.add(r.key());
              retryAt = retryAt == null || r.retryAt().isBefore(retryAt) ? r.retryAt() : retryAt;
            } else {
              accepted++;
            }
          }
          if (throttled.isEmpty()) {
            out.onNext(b.build());
            out.onCompleted();
            return;
          }
          out.onError(throttledStatus(results, throttled, retryAt, accepted));
        },
        responses);
  }

  private io.grpc.StatusRuntimeException throttledStatus(
      List<RecordResult> results, List<String> throttled, Instant retryAt, long accepted) {
    String bucket =
        results.stream()
            .filter(r -> r.outcome() == RecordResult.Outcome.THROTTLED)
            .findFirst()
            .map(RecordResult::bucket)
            .orElse("");
    Duration delay = Duration.between(clock.instant(), retryAt);
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    String message =
        throttled.size()
            + " of "
            + results.size()
            + " records refused: bucket "
            + bucket
            + " is at its daily request limit (THROTTLE, M3); the limit lifts at "
            + retryAt
            + " (next reset); retry then with the same keys (the "
            + accepted
            + " accepted records count once), or ask an admin"
            + " for more capacity (process units, P3) or for over_limit RECORD_OVERAGE (UpdateTenantSettings)";
    String keys =
        String.join(",", throttled.subList(0, Math.min(MAX_KEYS_IN_METADATA, throttled.size())));
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.valueOf(ErrorReason.M3_THROTTLED.code().name()).value())
            .setMessage(message)
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder()
                        .setReason(ErrorReason.M3_THROTTLED.name())
                        .setDomain(GrpcErrors.DOMAIN)
                        .putMetadata("retry_at", retryAt.toString())
                        .putMetadata("bucket", bucket)
                        .putMetadata("throttled", Integer.toString(throttled.size()))
                        .putMetadata("accepted", Long.toString(accepted))
                        .putMetadata("throttled_keys", keys)
                        .build()))
            .addDetails(
                Any.pack(
                    RetryInfo.newBuilder()
                        .setRetryDelay(
                            com.google.protobuf.Duration.newBuilder()
                                .setSeconds(delay.getSeconds())
                                .setNanos(delay.getNano()))
                        .build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  @Override
  public void getUsage(GetUsageRequest req, StreamObserver<GetUsageResponse> out) {
    Unary.respond(
        out,
        () -> {
          LocalDate day = parseDay(req.getDay());
          // Issue 12 §2: a flow's or an environment's usage is read by that environment's admins
          // and makers; a user's usage spans environments, so it needs a tenant admin.
          UsageReports.UsageReport report =
              switch (req.getSubjectCase()) {
                case FLOW -> {
                  scopes.readable(req.getEnvironment(), "usage");
                  yield usage.usageOfFlow(req.getFlow(), req.getEnvironment(), day);
                }
                case USER -> {
                  Scopes.tenantWide("a user's usage");
                  yield usage.usageOfUser(req.getUser(), day);
                }
                case ALL_IN_ENVIRONMENT -> {
                  scopes.readable(req.getAllInEnvironment(), "usage");
                  yield usage.usageOfEnvironment(req.getAllInEnvironment(), day);
                }
                default ->
                    throw BotfleetException.invalid(
                        ErrorReason.M6_SUBJECT_REQUIRED,
                        "subject: missing (expected: a flow, a user or an environment)");
              };
          var b =
              GetUsageResponse.newBuilder()
                  .setDayStartsAt(ProtoMapping.ts(report.dayStart()))
                  .setDayEndsAt(ProtoMapping.ts(report.dayEnd()))
                  .setOverLimitPolicy(ProtoEnums.OVER_LIMIT_POLICY.proto(report.policy()))
                  .setLimitMultiplier(report.multiplier());
          for (var u : report.buckets()) {
            var ub =
                BucketUsage.newBuilder()
                    .setBucket(u.bucket())
                    .setPlan(LicensingMapping.plan(u.plan()))
                    .setDay(u.day().toString())
                    .setDailyRequestLimit(u.limit())
                    .setUsed(u.used())
                    .setOverage(u.overage())
                    .setThrottled(u.throttled())
                    .setExplanation(u.explanation());
            if (u.limitLiftsAt() != null) {
              ub.setLimitLiftsAt(ProtoMapping.ts(u.limitLiftsAt()));
            }
            for (var c : u.contributions()) {
              ub.addContributions(
                  UsageContribution.newBuilder()
                      .setKind(ProtoCodes.usageSubject(c.kind()))
                      .setName(c.name())
                      .setRequests(c.requests())
                      .setOverage(c.overage())
                      .setThrottled(c.throttled()));
            }
            b.addBuckets(ub);
          }
          return b.build();
        });
  }

  private static LocalDate parseDay(String day) {
    if (day == null || day.isBlank()) {
      return null;
    }
    try {
      return LocalDate.parse(day.trim());
    } catch (DateTimeParseException e) {
      throw BotfleetException.invalid(
          ErrorReason.M2_DAY_INVALID, "day: '" + day + "' (expected: YYYY-MM-DD)");
    }
  }
}
