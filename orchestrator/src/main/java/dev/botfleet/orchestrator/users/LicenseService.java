package dev.botfleet.orchestrator.users;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.admin.TenantRepository;
import dev.botfleet.orchestrator.licensing.Decision;
import dev.botfleet.orchestrator.licensing.EntitlementCheck;
import dev.botfleet.orchestrator.licensing.EntitlementMatrix;
import dev.botfleet.orchestrator.licensing.LicenseType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Users and their licenses (L1, L3), self-service trials (L5), admin-managed trials (L6), and the
 * entitlement check on stored licenses (L7).
 */
public final class LicenseService {
  /** L6: an admin-managed trial lasts 30 days and can be extended once by 30 days. */
  public static final Duration ADMIN_TRIAL_LENGTH = Duration.ofDays(30);

  /**
   * L6: the user license types with an admin-managed trial (Process and Hosted Process are
   * capacity, C1).
   */
  public static final Set<LicenseType> ADMIN_TRIAL_TYPES = EnumSet.of(LicenseType.PREMIUM);

  private final Transactions tx;
  private final UserRepository users;
  private final TenantRepository tenant;
  private final AuditLog audit;
  private final Clock clock;
  private final java.util.concurrent.atomic.AtomicLong version =
      new java.util.concurrent.atomic.AtomicLong();
  private final List<Consumer<Decision>> decisionListeners = new CopyOnWriteArrayList<>();

  public LicenseService(
      Transactions tx, UserRepository users, TenantRepository tenant, AuditLog audit, Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.users = requireNonNull(users, "users");
    this.tenant = requireNonNull(tenant, "tenant");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Grows with every change to users' licenses or trials (caches of derived limits compare it). */
  public long version() {
    return version.get();
  }

  /** Metrics count decisions (denials per rule) through this. */
  public void addDecisionListener(Consumer<Decision> listener) {
    decisionListeners.add(requireNonNull(listener, "listener"));
  }

  /** A user with their active licenses. */
  public record UserView(
      LicensedUser user,
      List<UserLicense> licenses,
      Set<LicenseType> active,
      long dailyRequestLimit) {}

  // ---------------------------------------------------------------- users

  /**
   * Creates a user; with {@code withFree} it starts with the FREE license ([003]: every work
   * account has it).
   */
  public UserView createUser(Principal caller, String name, boolean withFree) {
    Access.requireTenantAdmin(caller, "create users");
    Names.require("user", name);
    return tx.inTransaction(
        () -> {
          Instant now = clock.instant();
          LicensedUser user = new LicensedUser(Ids.newId("usr"), name, now);
          if (!users.insertUser(user)) {
            throw BotfleetException.alreadyExists(
                ErrorReason.USER_EXISTS,
                "user '" + name + "' already exists (expected: a new name)");
          }
          if (withFree) {
            users.insertLicense(
                new UserLicense(
                    Ids.newId("lic"),
                    user.id(),
                    LicenseType.FREE,
                    LicenseSource.ASSIGNED,
                    now,
                    null,
                    false));
          }
          version.incrementAndGet();
          audit.append(
              now, caller.name(), "user.create", "user=" + name, null, withFree ? "FREE" : "");
          return view(user, now);
        });
  }

  public List<UserView> listUsers() {
    return tx.inTransaction(
        () -> {
          Instant now = clock.instant();
          Map<String, List<UserLicense>> byUser = new HashMap<>();
          for (UserLicense l : users.listAllLicenses()) {
            byUser.computeIfAbsent(l.userId(), k -> new ArrayList<>()).add(l);
          }
          List<UserView> result = new ArrayList<>();
          for (LicensedUser u : users.listUsers()) {
            result.add(view(u, byUser.getOrDefault(u.id(), List.of()), now));
          }
          return result;
        });
  }

  public LicensedUser requireUser(String name) {
    if (name == null || name.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.USER_REQUIRED, "user: missing (expected: a user name)");
    }
    return tx.inTransaction(() -> users.findUserByName(name, false))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.USER_NOT_FOUND,
                    "user '" + name + "' does not exist (see `botfleet user list`)"));
  }

  public LicensedUser requireUserById(String id) {
    return tx.inTransaction(() -> users.findUserById(id))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.USER_NOT_FOUND, "user id '" + id + "' does not exist"));
  }

  public UserView user(String name) {
    LicensedUser user = requireUser(name);
    return tx.inTransaction(() -> view(user, clock.instant()));
  }

  private UserView view(LicensedUser user, Instant now) {
    return view(user, users.listLicenses(user.id()), now);
  }

  private static UserView view(LicensedUser user, List<UserLicense> licenses, Instant now) {
    EnumSet<LicenseType> active = EnumSet.noneOf(LicenseType.class);
    for (UserLicense l : licenses) {
      if (l.activeAt(now)) {
        active.add(l.type());
      }
    }
    return new UserView(user, licenses, active, EntitlementMatrix.dailyRequestLimit(active));
  }

  /** The license types of the user active now (call inside or outside a transaction). */
  public Set<LicenseType> activeLicenses(String userId) {
    return tx.inTransaction(
        () -> {
          Instant now = clock.instant();
          EnumSet<LicenseType> active = EnumSet.noneOf(LicenseType.class);
          for (UserLicense l : users.listLicenses(userId)) {
            if (l.activeAt(now)) {
              active.add(l.type());
            }
          }
          return active;
        });
  }

  /** L3: the sum of the user's active licenses' daily request limits (before the M3 multiplier). */
  public long dailyRequestLimit(String userId) {
    return EntitlementMatrix.dailyRequestLimit(activeLicenses(userId));
  }

  // ---------------------------------------------------------------- L1 assign, L6 admin trials

  /**
   * Assigns {@code type} to a user (L1). P1/P2 are refused after 2020-12-31 on the clock's UTC
   * date, WINDOWS always (a machine license); TRIAL is self-service only (L5). With {@code
   * adminTrial} the license is an admin-managed trial of 30 days (L6, PREMIUM only).
   */
  public UserLicense assign(
      Principal caller, String userName, LicenseType type, Instant endsAt, boolean adminTrial) {
    Access.requireTenantAdmin(caller, "assign licenses");
    if (type == null) {
      throw BotfleetException.invalid(
          ErrorReason.LICENSE_TYPE_REQUIRED,
          "type: missing (expected: a license type such as PREMIUM)");
    }
    Instant now = clock.instant();
    type.requireAssignableToUser(LocalDate.ofInstant(now, ZoneOffset.UTC));
    if (type == LicenseType.TRIAL) {
      throw BotfleetException.invalid(
          ErrorReason.L5_TRIAL_IS_SELF_SERVICE,
          "TRIAL is a self-service trial: the user starts it (StartTrial, user "
              + userName
              + "); for an admin-managed trial assign PREMIUM with admin_trial set (L6)");
    }
    if (adminTrial && !ADMIN_TRIAL_TYPES.contains(type)) {
      throw BotfleetException.invalid(
          ErrorReason.L6_TRIAL_NOT_OFFERED,
          type
              + " has no admin-managed user trial (expected: PREMIUM; PROCESS and HOSTED_PROCESS trials are capacity: CreatePurchase with trial set)");
    }
    if (!adminTrial && endsAt != null && !endsAt.isAfter(now)) {
      throw BotfleetException.invalid(
          ErrorReason.LICENSE_END_IN_PAST,
          "end: " + endsAt + " (expected: after now, " + now + ")");
    }
    return tx.inTransaction(
        () -> {
          LicensedUser user = lockUser(userName);
          var existing = users.findLicense(user.id(), type);
          if (existing.isPresent()) {
            if (existing.get().activeAt(now)) {
              throw BotfleetException.alreadyExists(
                  ErrorReason.LICENSE_ALREADY_ASSIGNED,
                  userName
                      + " already holds "
                      + type
                      + " ("
                      + existing.get().source()
                      + (existing.get().endsAt() == null
                          ? ""
                          : ", until " + existing.get().endsAt())
                      + "); remove it first (RemoveLicense, user "
                      + userName
                      + ", type "
                      + type
                      + ")");
            }
            users.deleteLicense(user.id(), type);
          }
          UserLicense license =
              new UserLicense(
                  Ids.newId("lic"),
                  user.id(),
                  type,
                  adminTrial
                      ? LicenseSource.ADMIN_TRIAL
                      : (type.seeded() ? LicenseSource.SEEDED : LicenseSource.ASSIGNED),
                  now,
                  adminTrial ? now.plus(ADMIN_TRIAL_LENGTH) : endsAt,
                  false);
          users.insertLicense(license);
          version.incrementAndGet();
          audit.append(
              now,
              caller.name(),
              "license.assign",
              "user=" + userName + " type=" + type,
              null,
              license.source() + (license.endsAt() == null ? "" : " until " + license.endsAt()));
          return license;
        });
  }

  public record Licenses(LicensedUser user, List<UserLicense> licenses, long dailyRequestLimit) {}

  public Licenses licenses(String userName) {
    LicensedUser user = requireUser(userName);
    return tx.inTransaction(
        () -> {
          UserView v = view(user, clock.instant());
          return new Licenses(user, v.licenses(), v.dailyRequestLimit());
        });
  }

  public boolean remove(Principal caller, String userName, LicenseType type) {
    Access.requireTenantAdmin(caller, "remove licenses");
    if (type == null) {
      throw BotfleetException.invalid(
          ErrorReason.LICENSE_TYPE_REQUIRED, "type: missing (expected: a license type)");
    }
    return tx.inTransaction(
        () -> {
          LicensedUser user = lockUser(userName);
          boolean removed = users.deleteLicense(user.id(), type);
          if (removed) {
            version.incrementAndGet();
            audit.append(
                clock.instant(),
                caller.name(),
                "license.remove",
                "user=" + userName + " type=" + type,
                type.name(),
                null);
          }
          return removed;
        });
  }

  /** L6: an admin-managed trial can be extended once, by 30 days, before it ends. */
  public UserLicense extendTrial(Principal caller, String userName, LicenseType type) {
    Access.requireTenantAdmin(caller, "extend trials");
    return tx.inTransaction(
        () -> {
          LicensedUser user = lockUser(userName);
          UserLicense l =
              users
                  .findLicense(user.id(), type)
                  .orElseThrow(
                      () ->
                          BotfleetException.notFound(
                              ErrorReason.LICENSE_NOT_FOUND,
                              userName + " holds no " + type + " license"));
          if (l.source() != LicenseSource.ADMIN_TRIAL) {
            throw BotfleetException.precondition(
                ErrorReason.L6_NOT_A_TRIAL,
                userName
                    + "'s "
                    + type
                    + " is "
                    + l.source()
                    + ", not an admin-managed trial; only those are extended");
          }
          if (l.extended()) {
            throw BotfleetException.precondition(
                ErrorReason.L6_ALREADY_EXTENDED,
                userName
                    + "'s "
                    + type
                    + " trial was already extended once (ends "
                    + l.endsAt()
                    + "); assign a paid "
                    + type
                    + " license to keep it");
          }
          Instant now = clock.instant();
          if (!now.isBefore(l.endsAt())) {
            throw BotfleetException.precondition(
                ErrorReason.L6_TRIAL_ENDED,
                userName
                    + "'s "
                    + type
                    + " trial ended at "
                    + l.endsAt()
                    + "; assign a paid "
                    + type
                    + " license");
          }
          Instant newEnd = l.endsAt().plus(ADMIN_TRIAL_LENGTH);
          users.updateLicenseEnd(l.id(), newEnd, true);
          version.incrementAndGet();
          audit.append(
              now,
              caller.name(),
              "license.extend-trial",
              "user=" + userName + " type=" + type,
              l.endsAt().toString(),
              newEnd.toString());
          return users.findLicense(user.id(), type).orElseThrow();
        });
  }

  // ---------------------------------------------------------------- L5 self-service trials

  /** The license types a user can self-start a trial of (L1: the 90-day Power Automate Trial). */
  public static List<LicenseType> selfServiceTrialTypes() {
    List<LicenseType> types = new ArrayList<>();
    for (LicenseType t : LicenseType.values()) {
      if (t.selfServiceTrialDays().isPresent()) {
        types.add(t);
      }
    }
    return types;
  }

  private static void requireSelfServiceType(LicenseType type) {
    if (type == null || type.selfServiceTrialDays().isEmpty()) {
      throw BotfleetException.invalid(
          ErrorReason.L5_NO_SELF_SERVICE_TRIAL,
          "type: "
              + type
              + " (expected: a license type with a self-service trial: "
              + selfServiceTrialTypes()
              + ")");
    }
  }

  /**
   * L5: a user self-starts a trial (90 days). Refused in a government cloud, when an admin disabled
   * the type, for a user whose trial of that type was removed by disabling it, and for a user who
   * already used one. The tenant row lock serialises this with disabling.
   */
  public UserLicense startTrial(Principal caller, String userName, LicenseType type) {
    requireNonNull(caller, "caller");
    LicenseType t = type == null ? LicenseType.TRIAL : type;
    requireSelfServiceType(t);
    return tx.inTransaction(
        () -> {
          var settings = tenant.getForUpdate();
          LicensedUser user = lockUser(userName);
          if (settings.governmentCloud()) {
            throw BotfleetException.precondition(
                ErrorReason.L5_GOVERNMENT_CLOUD,
                "self-service trials are not available in a government cloud; ask an admin to assign a license (PREMIUM)");
          }
          if (!users.selfServiceTrialEnabled(t).orElse(true)) {
            throw BotfleetException.precondition(
                ErrorReason.L5_TRIAL_DISABLED,
                "an admin disabled self-service "
                    + t
                    + " trials; ask an admin to assign a license (PREMIUM)");
          }
          var bar = users.trialBar(user.id(), t);
          if (bar.isPresent() && bar.get().equals("REVOKED")) {
            throw BotfleetException.precondition(
                ErrorReason.L5_TRIAL_REVOKED,
                userName
                    + "'s "
                    + t
                    + " trial was removed when an admin disabled "
                    + t
                    + " trials; it cannot be started again (ask an admin to assign a license)");
          }
          Instant now = clock.instant();
          var existing = users.findLicense(user.id(), t);
          if (existing.isPresent() && existing.get().activeAt(now)) {
            throw BotfleetException.alreadyExists(
                ErrorReason.L5_TRIAL_ACTIVE,
                userName + " already has a " + t + " trial until " + existing.get().endsAt());
          }
          if (bar.isPresent() || existing.isPresent()) {
            throw BotfleetException.precondition(
                ErrorReason.L5_TRIAL_ALREADY_USED,
                userName
                    + " already used a self-service "
                    + t
                    + " trial; ask an admin to assign a license (PREMIUM)");
          }
          UserLicense license =
              new UserLicense(
                  Ids.newId("lic"),
                  user.id(),
                  t,
                  LicenseSource.SELF_SERVICE_TRIAL,
                  now,
                  now.plus(Duration.ofDays(t.selfServiceTrialDays().getAsInt())),
                  false);
          users.insertLicense(license);
          users.barTrial(user.id(), t, "USED", now);
          version.incrementAndGet();
          audit.append(
              now,
              caller.name(),
              "trial.start",
              "user=" + userName + " type=" + t,
              null,
              "until " + license.endsAt());
          return license;
        });
  }

  public record TrialSetting(LicenseType type, boolean enabled, int days) {}

  public record TrialChange(TrialSetting setting, List<String> removedFrom) {}

  /**
   * L5: enables or disables self-service trials of a type. Disabling removes every such trial from
   * every user in the same transaction and bars those users for good; enabling only lets others
   * start one again.
   */
  public TrialChange setSelfServiceTrials(Principal caller, LicenseType type, boolean enabled) {
    Access.requireAnyRole(caller, "enable or disable self-service trials", Role.GLOBAL_ADMIN);
    requireSelfServiceType(type);
    return tx.inTransaction(
        () -> {
          tenant.getForUpdate();
          Instant now = clock.instant();
          boolean before = users.selfServiceTrialEnabled(type).orElse(true);
          users.setSelfServiceTrialEnabled(type, enabled, now);
          List<String> removed = new ArrayList<>();
          if (!enabled) {
            for (LicensedUser u : users.deleteSelfServiceTrials(type)) {
              users.barTrial(u.id(), type, "REVOKED", now);
              removed.add(u.name());
            }
          }
          if (before != enabled || !removed.isEmpty()) {
            version.incrementAndGet();
            audit.append(
                now,
                caller.name(),
                "tenant.trials",
                "type=" + type,
                before ? "enabled" : "disabled",
                (enabled ? "enabled" : "disabled")
                    + (removed.isEmpty() ? "" : "; removed from " + removed));
          }
          return new TrialChange(
              new TrialSetting(type, enabled, type.selfServiceTrialDays().getAsInt()), removed);
        });
  }

  public record TrialSettings(List<TrialSetting> trials, boolean governmentCloud) {}

  public TrialSettings selfServiceTrials() {
    return tx.inTransaction(
        () -> {
          Map<LicenseType, Boolean> set = users.selfServiceTrialSettings();
          List<TrialSetting> result = new ArrayList<>();
          for (LicenseType t : selfServiceTrialTypes()) {
            result.add(
                new TrialSetting(
                    t, set.getOrDefault(t, true), t.selfServiceTrialDays().getAsInt()));
          }
          return new TrialSettings(result, tenant.get().governmentCloud());
        });
  }

  /** L5: whether the user could self-start a TRIAL now (for the next step of L7). */
  public boolean selfServiceTrialAvailable(String userId) {
    return tx.inTransaction(
        () ->
            !tenant.get().governmentCloud()
                && users.selfServiceTrialEnabled(LicenseType.TRIAL).orElse(true)
                && users.trialBar(userId, LicenseType.TRIAL).isEmpty()
                && users.findLicense(userId, LicenseType.TRIAL).isEmpty());
  }

  // ---------------------------------------------------------------- L7

  /** L7: decides {@code request} and tells the listeners (metrics count denials per rule). */
  public Decision decide(EntitlementCheck.Request request) {
    Decision d = EntitlementCheck.decide(request);
    for (Consumer<Decision> l : decisionListeners) {
      l.accept(d);
    }
    return d;
  }

  private LicensedUser lockUser(String name) {
    if (name == null || name.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.USER_REQUIRED, "user: missing (expected: a user name)");
    }
    return users
        .findUserByName(name, true)
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.USER_NOT_FOUND,
                    "user '" + name + "' does not exist (see `botfleet user list`)"));
  }
}
