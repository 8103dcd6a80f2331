package dev.botfleet.common;

import static dev.botfleet.common.ErrorCode.ABORTED;
import static dev.botfleet.common.ErrorCode.ALREADY_EXISTS;
import static dev.botfleet.common.ErrorCode.FAILED_PRECONDITION;
import static dev.botfleet.common.ErrorCode.INVALID_ARGUMENT;
import static dev.botfleet.common.ErrorCode.NOT_FOUND;
import static dev.botfleet.common.ErrorCode.PERMISSION_DENIED;
import static dev.botfleet.common.ErrorCode.RESOURCE_EXHAUSTED;
import static dev.botfleet.common.ErrorCode.UNAUTHENTICATED;
import static dev.botfleet.common.ErrorCode.UNAVAILABLE;

import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The error catalogue (issue 8 §2): every reason the orchestrator puts in a {@code
 * google.rpc.ErrorInfo}, and every reason a {@link BotfleetException} carries, with its status
 * code, the SPEC rule it names and a line for {@code docs/errors.md}.
 *
 * <p>The reason on the wire is the constant's name. A reason is {@code RULE_WHAT} (for example
 * {@code C2_EXCEEDS_PURCHASED}) when a SPEC rule refused, and plain ({@code RUN_NOT_FOUND}, {@code
 * INVALID_ARGUMENT_TOO_LONG}) when no rule did; the rule is read from the name. Renaming a constant
 * changes the API: clients match on it. {@code ErrorCatalogueTest} fails for a reason put on the
 * wire that is not here and keeps {@code docs/errors.md} equal to this list.
 */
public enum ErrorReason {
  A1_CERTIFICATE_EXPIRED(
      UNAUTHENTICATED,
      "A1",
      "Agent side: the client certificate expired before it could be renewed; enrol again."),
  A1_CERTIFICATE_MISMATCH(
      UNAUTHENTICATED, "A1", "The client certificate names another machine than the Hello."),
  A1_CERTIFICATE_REQUIRED(
      UNAUTHENTICATED,
      "A1",
      "This orchestrator serves mutual TLS: the agent stream needs the machine's client certificate."),
  A1_CERTIFICATE_REVOKED(
      UNAUTHENTICATED,
      "A1",
      "The client certificate is no longer the machine's (replaced, rotated or the machine removed)."),
  A1_CREDENTIAL_FILE_INVALID(
      FAILED_PRECONDITION, "A1", "Agent side: the stored credential file cannot be read."),
  A1_CREDENTIAL_MISMATCH(UNAUTHENTICATED, "A1", "The credential belongs to another machine."),
  A1_CREDENTIAL_REFUSED(
      UNAUTHENTICATED, "A1", "Agent side: the orchestrator refused the stored machine credential."),
  A1_CREDENTIAL_UNKNOWN(UNAUTHENTICATED, "A1", "The machine credential is not known; enrol again."),
  A1_CSR_INVALID(
      INVALID_ARGUMENT, "A1", "The certificate signing request is malformed, forged or too weak."),
  A1_CSR_REQUIRED(
      INVALID_ARGUMENT,
      "A1",
      "Enrolling with a TLS orchestrator needs a certificate signing request."),
  A1_ENROLMENT_FAILED(
      UNAVAILABLE,
      "A1",
      "Agent side: enrolment was refused or failed; carries the server's status code."),
  A1_ENROLMENT_UNTRUSTED(
      FAILED_PRECONDITION,
      "A1",
      "Agent side: the orchestrator's enrolment answer lacks a certificate or the pinned CA."),
  A1_MACHINE_REMOVED(
      UNAUTHENTICATED,
      "A1",
      "The machine was removed: its credential is revoked and its stream ended; enrol anew."),
  A1_NOT_ENROLLED(FAILED_PRECONDITION, "A1", "Agent side: no machine credential yet; enrol first."),
  A1_ROTATION_NEEDS_TLS(
      FAILED_PRECONDITION,
      "A1",
      "Certificate rotation needs an orchestrator that serves TLS (machines hold certificates)."),
  A1_TOKEN_EXPIRED(UNAUTHENTICATED, "A1", "The join token expired."),
  A1_TOKEN_NOT_FOUND(NOT_FOUND, "A1", "No join token with that id (revoke, show)."),
  A1_TOKEN_REQUIRED(UNAUTHENTICATED, "A1", "Enrol without a join token."),
  A1_TOKEN_REVOKED(UNAUTHENTICATED, "A1", "The join token was revoked."),
  A1_TOKEN_UNKNOWN(UNAUTHENTICATED, "A1", "The join token is not one the orchestrator issued."),
  A1_TOKEN_UNPINNED(
      FAILED_PRECONDITION,
      "A1",
      "Agent side: the join token carries no CA fingerprint and no --ca-file was given."),
  A1_TOKEN_USED(UNAUTHENTICATED, "A1", "The join token was already used to enrol a machine."),
  A1_TTL(INVALID_ARGUMENT, "A1", "A join token's time to live is out of range."),
  A2_CAPACITY(INVALID_ARGUMENT, "A2", "A machine reports negative CPUs, memory or sessions."),
  A2_MAX_SESSIONS(INVALID_ARGUMENT, "A2", "A machine reports fewer than one session."),
  A3_MARKED_OFFLINE(
      UNAVAILABLE,
      "A3",
      "The machine was marked OFFLINE for missing heartbeats; the agent says Hello again."),
  A3_STREAM_REPLACED(ABORTED, "A3", "A newer stream of the same machine replaced this one."),
  A3_HELLO_FIRST(UNAUTHENTICATED, "A3", "The first message on the agent stream was not Hello."),
  C1_PURCHASE_LIMIT(
      FAILED_PRECONDITION,
      "C1",
      "The purchase would take a SKU past the most units a tenant may hold."),
  C1_QUANTITY(INVALID_ARGUMENT, "C1", "A purchase quantity is out of range."),
  C2_BELOW_CONSUMED(FAILED_PRECONDITION, "C2", "The allocation would drop below the units in use."),
  C2_ENVIRONMENT_ONLY(
      FAILED_PRECONDITION, "C2", "Capacity add-ons are allocated to environments, not to users."),
  C2_EXCEEDS_PURCHASED(
      FAILED_PRECONDITION,
      "C2",
      "The allocation exceeds the units purchased and not allocated elsewhere."),
  C2_QUANTITY(INVALID_ARGUMENT, "C2", "An allocation quantity is out of range."),
  C5_ENVIRONMENT_ADMIN_REQUIRED(
      PERMISSION_DENIED, "C5", "Allocating to an environment needs an admin of that environment."),
  C5_ONLY_SPECIFIC_ADMINS(
      PERMISSION_DENIED, "C5", "The tenant lets only specific admins allocate capacity."),
  C6_APP_PASS_ENVIRONMENT_ONLY(
      FAILED_PRECONDITION, "C6", "App passes are allocated to environments, not to users."),
  C6_NO_APP_PASS(
      RESOURCE_EXHAUSTED, "C6", "Every app pass allocated to the environment is consumed."),
  C8_OVER_CAPACITY(
      FAILED_PRECONDITION,
      "C8",
      "The environment is over capacity for a SKU; the change is refused until it is not."),
  L1_LEGACY_NO_NEW_ASSIGNMENT(
      FAILED_PRECONDITION, "L1", "A legacy license type may not be newly assigned."),
  L1_LICENSE_REQUIRED(INVALID_ARGUMENT, "L1", "A license list contains an empty entry."),
  L1_MACHINE_LICENSE(
      INVALID_ARGUMENT, "L1", "A machine license (unattended or hosted) is not a user license."),
  L2_APP_LICENSE_INVALID(INVALID_ARGUMENT, "L2", "The app license given is not an app license."),
  L2_APP_REQUIRED(INVALID_ARGUMENT, "L2", "The action needs an app license that was not given."),
  L2_NOT_ENTITLED(
      PERMISSION_DENIED,
      "L2",
      "The entitlement check (L2) denied the action; the message names the next step."),
  L2_NO_MATRIX_COLUMN(
      INVALID_ARGUMENT, "L2", "The license has no column in the entitlement matrix."),
  L3_CHARGED_TO_LICENSES(
      FAILED_PRECONDITION,
      "L3",
      "The plan charges the owner's licenses and has no flow limit of its own."),
  L4_NOT_ENTITLED(
      PERMISSION_DENIED,
      "L4",
      "The entitlement check (L4) denied the action; the message names the next step."),
  L5_GOVERNMENT_CLOUD(
      FAILED_PRECONDITION, "L5", "Self-service trials are not available in a government cloud."),
  L5_NO_SELF_SERVICE_TRIAL(INVALID_ARGUMENT, "L5", "The license type has no self-service trial."),
  L5_TRIAL_ACTIVE(ALREADY_EXISTS, "L5", "The user already has an active trial of that type."),
  L5_TRIAL_ALREADY_USED(FAILED_PRECONDITION, "L5", "The user already used the trial of that type."),
  L5_TRIAL_DISABLED(FAILED_PRECONDITION, "L5", "An admin disabled self-service trials."),
  L5_TRIAL_IS_SELF_SERVICE(
      INVALID_ARGUMENT, "L5", "TRIAL is started by the user, not assigned by an admin."),
  L5_TRIAL_REVOKED(
      FAILED_PRECONDITION, "L5", "An admin revoked the user's trial; it cannot be restarted."),
  L6_ALREADY_EXTENDED(FAILED_PRECONDITION, "L6", "The trial was already extended once."),
  L6_NOT_A_TRIAL(
      FAILED_PRECONDITION, "L6", "Only trials are extended; this license or purchase is paid."),
  L6_TRIAL_ENDED(FAILED_PRECONDITION, "L6", "The trial ended and can no longer be extended."),
  L6_TRIAL_NOT_OFFERED(
      INVALID_ARGUMENT, "L6", "The license type or SKU has no admin-managed trial."),
  L7_ACTION_REQUIRED(INVALID_ARGUMENT, "L7", "An entitlement check without an action."),
  L7_CONNECTOR_TIER_REQUIRED(INVALID_ARGUMENT, "L7", "USE_CONNECTOR without a connector tier."),
  L7_CONNECTOR_TIER_UNEXPECTED(
      INVALID_ARGUMENT, "L7", "A connector tier given for an action that uses none."),
  L7_FLOW_ENVIRONMENT_MISMATCH(
      INVALID_ARGUMENT, "L7", "The flow is not in the environment the check names."),
  L7_NOT_ENTITLED(
      PERMISSION_DENIED,
      "L7",
      "The entitlement check (L7) denied the action; the message names the next step."),
  L8_NOT_ENTITLED(
      PERMISSION_DENIED,
      "L8",
      "The entitlement check (L8) denied the action; the message names the next step."),
  M1_REQUESTS(INVALID_ARGUMENT, "M1", "A usage record's request count is out of range."),
  M1_SUBJECT_REQUIRED(
      INVALID_ARGUMENT, "M1", "A usage record names both or neither of a flow and a user."),
  M2_DAY_INVALID(INVALID_ARGUMENT, "M2", "A metering day is not a date (YYYY-MM-DD)."),
  M2_DAY_OFFSET(INVALID_ARGUMENT, "M2", "The metering day offset is out of range."),
  M3_LIMIT_MULTIPLIER(INVALID_ARGUMENT, "M3", "The limit multiplier is out of range."),
  M3_THROTTLED(
      RESOURCE_EXHAUSTED,
      "M3",
      "Usage over the daily limit was throttled; ErrorInfo metadata says until when."),
  M4_KEY_REQUIRED(INVALID_ARGUMENT, "M4", "A usage record without an idempotency key."),
  M4_KEY_TOO_LONG(INVALID_ARGUMENT, "M4", "A usage record's idempotency key is too long."),
  M5_BATCH_TOO_LARGE(INVALID_ARGUMENT, "M5", "Too many usage records in one call."),
  M5_NOT_RECORDED(
      UNAVAILABLE, "M5", "The usage records were not committed; retry with the same keys."),
  M5_SHUTTING_DOWN(
      UNAVAILABLE, "M5", "The orchestrator is shutting down and records no more usage; retry."),
  M6_SUBJECT_REQUIRED(
      INVALID_ARGUMENT, "M6", "A usage query without a subject (flow, user or environment)."),
  O4_AUTHENTICATION_THROTTLED(
      RESOURCE_EXHAUSTED,
      "O4",
      "Too many failed authentications from the caller's address; retry after the hint."),
  O4_ENVIRONMENT_ROLE_REQUIRED(
      PERMISSION_DENIED,
      "O4",
      "The caller holds no role in the environment it reads (admin or maker there)."),
  P3_COUNT(INVALID_ARGUMENT, "P3", "A process unit count is out of range."),
  P3_NOT_ALLOCATED(
      FAILED_PRECONDITION, "P3", "The flow holds fewer process units than asked to de-allocate."),
  P3_NO_PROCESS_CAPACITY(
      RESOURCE_EXHAUSTED, "P3", "No free process unit in the environment for the flow."),
  P4_ALREADY_ASSOCIATED(
      FAILED_PRECONDITION, "P4", "The flow is already associated with a process flow."),
  P4_ASSOCIATION_LIMIT(
      FAILED_PRECONDITION, "P4", "The process flow has as many associated flows as it may."),
  P4_CHARGED_TO_PARENT(
      FAILED_PRECONDITION, "P4", "The associated flow is charged to its parent process flow."),
  P4_CHILD_CANNOT_BE_PROCESS_FLOW(
      FAILED_PRECONDITION, "P4", "An associated flow cannot hold process capacity itself."),
  P4_NOT_ASSOCIATED(
      FAILED_PRECONDITION, "P4", "The flow is not associated with that process flow."),
  P4_OTHER_ENVIRONMENT(INVALID_ARGUMENT, "P4", "The flows are in different environments."),
  P4_PARENT_HAS_ASSOCIATED_FLOWS(
      FAILED_PRECONDITION, "P4", "The process flow still has associated flows."),
  P4_PARENT_IS_ASSOCIATED(FAILED_PRECONDITION, "P4", "The parent is itself an associated flow."),
  P4_PARENT_NOT_PROCESS_FLOW(FAILED_PRECONDITION, "P4", "The parent holds no process capacity."),
  P4_PROCESS_FLOW_AS_CHILD(
      FAILED_PRECONDITION, "P4", "A process flow cannot be associated with another."),
  P4_SELF_ASSOCIATION(INVALID_ARGUMENT, "P4", "A flow cannot be associated with itself."),
  P5_COUNT(INVALID_ARGUMENT, "P5", "A bot count is out of range."),
  P5_MAX_SESSIONS(FAILED_PRECONDITION, "P5", "The machine has no session left for another bot."),
  P5_NO_PROCESS_CAPACITY(
      RESOURCE_EXHAUSTED, "P5", "No free process unit in the environment for a bot."),
  P9_NOT_ALLOCATED(FAILED_PRECONDITION, "P9", "The flow holds no per-flow plan."),
  P9_NO_PER_FLOW_CAPACITY(RESOURCE_EXHAUSTED, "P9", "No free per-flow plan in the environment."),
  P9_ONE_PER_FLOW(FAILED_PRECONDITION, "P9", "The flow already holds a per-flow plan."),
  P9_PER_FLOW_NOT_STACKABLE(INVALID_ARGUMENT, "P9", "Per-flow plans do not stack."),
  P10_BOT_BUSY(
      FAILED_PRECONDITION, "P10", "A bot to de-allocate is running a run; force cancels it."),
  P10_COUNT(INVALID_ARGUMENT, "P10", "A bot count to de-allocate is out of range."),
  P10_NOT_ENOUGH_BOTS(
      FAILED_PRECONDITION, "P10", "The machine holds fewer bots than asked to de-allocate."),
  R1_BATCH_EMPTY(INVALID_ARGUMENT, "R1", "A batch submission (SubmitRuns) without any run."),
  R1_HOSTED_NOT_AVAILABLE(
      INVALID_ARGUMENT, "R1", "Hosted machine targets are not available in this version."),
  R1_INPUTS_TOO_LARGE(INVALID_ARGUMENT, "R1", "A run's inputs are too large in total."),
  R1_INPUT_NAME(INVALID_ARGUMENT, "R1", "A run input's name is not a valid name."),
  R1_TARGET_REQUIRED(INVALID_ARGUMENT, "R1", "A run without a target (machine or group)."),
  R4_GROUP_EMPTY(FAILED_PRECONDITION, "R4", "The target group has no machine."),
  R4_NO_BOT_POSSIBLE(FAILED_PRECONDITION, "R4", "No bot can ever run the run on the target."),
  R4_FLOW_NOT_INSTALLED(
      FAILED_PRECONDITION,
      "R4",
      "No machine of the target group ever reported the desktop flow installed (A5)."),
  R6_IDEMPOTENCY_KEY_REUSED(
      ALREADY_EXISTS, "R6", "A run idempotency key was reused with a different request."),
  R10_TIMEOUT(INVALID_ARGUMENT, "R10", "A queue or run time-out is out of range."),
  DATABASE_BUSY(
      UNAVAILABLE, "", "The database is busy (lock or statement time-out); retry shortly."),
  DATABASE_UNAVAILABLE(
      UNAVAILABLE, "", "The orchestrator cannot reach its database; retry shortly."),
  ENVIRONMENT_ADMIN_REQUIRED(
      PERMISSION_DENIED, "", "The caller is not an admin of the environment."),
  ENVIRONMENT_EXISTS(ALREADY_EXISTS, "", "An environment with that name exists."),
  ENVIRONMENT_NOT_ALLOWED(
      INVALID_ARGUMENT, "", "An environment was given for a role that is not scoped to one."),
  ENVIRONMENT_NOT_FOUND(NOT_FOUND, "", "No environment with that name or id."),
  ENVIRONMENT_REQUIRED(INVALID_ARGUMENT, "", "The request names no environment."),
  ENVIRONMENT_TYPE_INVALID(INVALID_ARGUMENT, "", "An environment type that does not exist."),
  ENVIRONMENT_TYPE_REQUIRED(INVALID_ARGUMENT, "", "The request names no environment type."),
  FLOW_EXISTS(ALREADY_EXISTS, "", "A flow with that name exists in the environment."),
  FLOW_NOT_FOUND(NOT_FOUND, "", "No flow with that name."),
  FLOW_PLAN_UNITS_INVALID(INVALID_ARGUMENT, "", "A flow plan with fewer than one unit."),
  FLOW_REQUIRED(INVALID_ARGUMENT, "", "The request names no flow."),
  GROUP_EXISTS(ALREADY_EXISTS, "", "A machine group with that name exists."),
  GROUP_NOT_FOUND(NOT_FOUND, "", "No machine group with that name."),
  IDEMPOTENCY_KEY_REUSED(
      ALREADY_EXISTS,
      "",
      "An idempotency key was reused with a different request (docs/api.md \"Idempotency\")."),
  IDEMPOTENCY_KEY_INVALID(
      INVALID_ARGUMENT,
      "",
      "An idempotency key with control characters (its length is bounded like any field)."),
  INTERNAL(ErrorCode.INTERNAL, "", "A bug; the server log has the stack trace."),
  INTERRUPTED(ABORTED, "", "The server was interrupted while waiting for a write."),
  INVALID_ARGUMENT_MALFORMED(INVALID_ARGUMENT, "", "The request bytes are not a valid message."),
  INVALID_ARGUMENT_OUT_OF_RANGE(
      INVALID_ARGUMENT, "", "A number is out of its documented range (docs/limits.md)."),
  INVALID_ARGUMENT_TOO_LONG(
      INVALID_ARGUMENT, "", "A string is longer than its documented bound (docs/limits.md)."),
  INVALID_ARGUMENT_TOO_MANY(
      INVALID_ARGUMENT,
      "",
      "A repeated or map field has more items than its bound (docs/limits.md)."),
  INVALID_ARGUMENT_UNKNOWN_ENUM(INVALID_ARGUMENT, "", "An enum value this server does not know."),
  INVALID_ARGUMENT_PAGE_TOKEN(
      INVALID_ARGUMENT,
      "",
      "A page token that does not parse, or that belongs to another list or filter (docs/api.md)."),
  LICENSE_ALREADY_ASSIGNED(ALREADY_EXISTS, "", "The user already holds that license."),
  LICENSE_END_IN_PAST(INVALID_ARGUMENT, "", "A license end that is not in the future."),
  LICENSE_NOT_FOUND(NOT_FOUND, "", "The user holds no license of that type."),
  LICENSE_TYPE_REQUIRED(INVALID_ARGUMENT, "", "The request names no license type."),
  MACHINE_EXISTS(ALREADY_EXISTS, "", "A machine with that name exists in the environment."),
  MACHINE_REMOVED(
      FAILED_PRECONDITION, "", "The machine was removed: it takes no bots and no runs."),
  MACHINE_NOT_FOUND(NOT_FOUND, "", "No machine with that name or id."),
  MACHINE_REQUIRED(INVALID_ARGUMENT, "", "The request names no machine."),
  MAKER_REQUIRED(PERMISSION_DENIED, "", "The caller may not make flows in the environment."),
  NAME_INVALID(INVALID_ARGUMENT, "", "A name that is not a valid name."),
  NAME_REQUIRED(INVALID_ARGUMENT, "", "A name is missing."),
  PRINCIPAL_EXISTS(ALREADY_EXISTS, "", "A principal with that name exists."),
  PRINCIPAL_LAST_GLOBAL_ADMIN(
      FAILED_PRECONDITION,
      "",
      "Revoking the last GLOBAL_ADMIN that is not revoked; create another one first."),
  PRINCIPAL_NOT_FOUND(NOT_FOUND, "", "No principal with that name."),
  PRINCIPAL_REVOKED(FAILED_PRECONDITION, "", "The principal was revoked; it gets no new token."),
  PRINCIPAL_ROLE_REQUIRED(INVALID_ARGUMENT, "", "A new principal without a role."),
  PRINCIPAL_TOKEN_LIFE(
      INVALID_ARGUMENT, "", "A token expiry or rotation grace is out of range (docs/limits.md)."),
  PURCHASE_NOT_FOUND(NOT_FOUND, "", "No purchase with that id."),
  RATE_LIMITED(
      RESOURCE_EXHAUSTED,
      "",
      "The caller is over its request rate (--rate-limit); RetryInfo says when to retry."),
  ROLE_REQUIRED(PERMISSION_DENIED, "", "The caller holds none of the roles the call needs."),
  RUN_NOT_FOUND(NOT_FOUND, "", "No run with that id."),
  SHUTTING_DOWN(UNAVAILABLE, "", "The orchestrator is shutting down; retry."),
  SIMULATOR_INTERRUPTED(
      UNAVAILABLE, "", "Agent side: the fleet simulator was interrupted while enrolling."),
  SIMULATOR_JOIN_TOKEN(
      UNAVAILABLE,
      "",
      "Agent side: the fleet simulator could not create a join token; carries the server's status code."),
  SKU_REQUIRED(INVALID_ARGUMENT, "", "The request names no SKU."),
  TARGET_REQUIRED(INVALID_ARGUMENT, "", "An allocation without a target environment."),
  UNAUTHENTICATED_BAD_TOKEN(UNAUTHENTICATED, "", "The bearer token is not known."),
  UNAUTHENTICATED_NO_TOKEN(UNAUTHENTICATED, "", "The call carries no bearer token."),
  UNAUTHENTICATED_TOKEN_EXPIRED(
      UNAUTHENTICATED, "", "The bearer token expired, or it was rotated and its grace ended."),
  UNAUTHENTICATED_TOKEN_REVOKED(
      UNAUTHENTICATED, "", "The bearer token's principal was revoked (principal revoke)."),
  USER_EXISTS(ALREADY_EXISTS, "", "A user with that name exists."),
  USER_NOT_FOUND(NOT_FOUND, "", "No user with that name or id."),
  USER_REQUIRED(INVALID_ARGUMENT, "", "The request names no user."),
  WRITE_TIMEOUT(UNAVAILABLE, "", "A write was not committed in time; retry.");

  private static final Pattern RULE = Pattern.compile("^([A-Z][0-9]+)_");

  private final ErrorCode code;
  private final String rule;
  private final String meaning;

  ErrorReason(ErrorCode code, String rule, String meaning) {
    this.code = code;
    this.rule = rule;
    this.meaning = meaning;
  }

  /** The canonical status code of this reason. */
  public ErrorCode code() {
    return code;
  }

  /** The SPEC rule id this reason names ({@code C2}), or "" when no rule refused. */
  public String rule() {
    return rule;
  }

  /** One line for docs/errors.md: what went wrong. */
  public String meaning() {
    return meaning;
  }

  /** The rule id a reason name starts with ({@code P4_ASSOCIATION_LIMIT} → {@code P4}), or "". */
  public static String ruleOf(String name) {
    Matcher m = RULE.matcher(name);
    return m.find() ? m.group(1) : "";
  }

  /** The catalogue entry named {@code name}, if any. */
  public static Optional<ErrorReason> find(String name) {
    return Arrays.stream(values()).filter(r -> r.name().equals(name)).findFirst();
  }

  /**
   * {@code <rule>_NOT_ENTITLED}: the reason of an entitlement check denied by {@code rule}.
   *
   * @throws IllegalArgumentException when the catalogue lacks it (add the entry)
   */
  public static ErrorReason notEntitled(String rule) {
    return find(rule + "_NOT_ENTITLED")
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    rule + "_NOT_ENTITLED: not in the error catalogue (add it to ErrorReason)"));
  }
}
