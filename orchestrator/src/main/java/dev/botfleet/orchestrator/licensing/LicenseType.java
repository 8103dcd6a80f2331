package dev.botfleet.orchestrator.licensing;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.time.LocalDate;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The user licenses of L1 (and {@link #WINDOWS}, which applies to a machine). What each one
 * entitles is data in {@link EntitlementMatrix} (L2); this enum holds the facts about the license
 * itself: what it applies to, whether it is legacy, whether it may still be newly assigned, and how
 * long a self-service trial lasts.
 */
public enum LicenseType implements EntitlementSource {
  /** Power Automate Free: standard connectors only; cannot share flows (L4). */
  FREE("Power Automate Free"),
  /** Power Automate Trial, self-provisioned for {@value #SELF_SERVICE_TRIAL_DAYS} days (L1, L5). */
  TRIAL("Power Automate Trial"),
  /** Power Automate Premium, the user license that replaced the Per-user plan. */
  PREMIUM("Power Automate Premium"),
  /** Power Automate Per-user plan (legacy, replaced by {@link #PREMIUM}). */
  PER_USER("Power Automate Per-user plan (legacy)"),
  /** Power Automate P1 (legacy: no new assignment after {@link #P1_P2_LAST_ASSIGNMENT_DAY}). */
  P1("Power Automate P1 plan (legacy)"),
  /** Power Automate P2 (legacy: no new assignment after {@link #P1_P2_LAST_ASSIGNMENT_DAY}). */
  P2("Power Automate P2 plan (legacy)"),
  /** Power Apps Developer plan: free, never in production (L8). */
  DEVELOPER("Power Apps Developer plan"),
  /** Seeded: Power Apps Premium. */
  POWER_APPS_PREMIUM("Power Apps Premium"),
  /** Seeded: Microsoft 365 (formerly Office 365). */
  M365("Microsoft 365"),
  /** Seeded: Dynamics 365 Professional (Sales / Customer Service Professional). */
  D365_PROFESSIONAL("Dynamics 365 Professional"),
  /** Seeded: Dynamics 365 Enterprise applications. */
  D365_ENTERPRISE("Dynamics 365 Enterprise applications"),
  /** Seeded: Dynamics 365 Team Member. */
  D365_TEAM_MEMBER("Dynamics 365 Team Member"),
  /** Seeded: Windows license; applies to a machine, not a user (L1). */
  WINDOWS("Windows license");

  /** L1: the self-service Power Automate Trial lasts this many days. */
  public static final int SELF_SERVICE_TRIAL_DAYS = 90;

  /**
   * L1: the last day P1 and P2 could be newly assigned; contracts that started before 2021-01-01
   * stay valid until their end.
   */
  public static final LocalDate P1_P2_LAST_ASSIGNMENT_DAY = LocalDate.of(2020, 12, 31);

  private final String displayName;

  LicenseType(String displayName) {
    this.displayName = displayName;
  }

  @Override
  public String displayName() {
    return displayName;
  }

  @Override
  public AppliesTo appliesTo() {
    return appliesToMachine() ? AppliesTo.MACHINE : AppliesTo.USER;
  }

  /** L1: only {@link #WINDOWS} is attached to a machine; every other license to a user. */
  public boolean appliesToMachine() {
    return this == WINDOWS;
  }

  /** L1: the legacy user licenses. They stay usable while active; see {@link #replacement()}. */
  public boolean legacy() {
    return this == PER_USER || this == P1 || this == P2;
  }

  /** [003] "seeded licenses": tied to another Microsoft product, limited Power Automate rights. */
  public boolean seeded() {
    return switch (this) {
      case POWER_APPS_PREMIUM,
          M365,
          D365_PROFESSIONAL,
          D365_ENTERPRISE,
          D365_TEAM_MEMBER,
          WINDOWS ->
          true;
      default -> false;
    };
  }

  /**
   * Whether a cloud flow can be associated to an app licensed by this license, so that the
   * license's "included with limitations" cells apply to it (L2, [003] footnotes 4 and 5).
   */
  public boolean isAppLicense() {
    return switch (this) {
      case POWER_APPS_PREMIUM, D365_PROFESSIONAL, D365_ENTERPRISE, D365_TEAM_MEMBER -> true;
      default -> false;
    };
  }

  /** L1: the lifetime of a self-service trial; empty for every license but {@link #TRIAL}. */
  public OptionalInt selfServiceTrialDays() {
    return this == TRIAL ? OptionalInt.of(SELF_SERVICE_TRIAL_DAYS) : OptionalInt.empty();
  }

  /** The license [003] tells holders of a legacy license to move to. */
  public Optional<LicenseType> replacement() {
    return legacy() ? Optional.of(PREMIUM) : Optional.empty();
  }

  /**
   * L1: whether the license may be newly assigned on {@code today}. P1 and P2 may not after {@link
   * #P1_P2_LAST_ASSIGNMENT_DAY}. The Per-user plan is legacy too, but [003] only says it should not
   * be renewed and that purchased seats "are still usable", so assigning an already purchased seat
   * stays allowed.
   */
  public boolean newAssignmentAllowed(LocalDate today) {
    requireNonNull(today, "today");
    if (this == P1 || this == P2) {
      return !today.isAfter(P1_P2_LAST_ASSIGNMENT_DAY);
    }
    return true;
  }

  /**
   * Refuses assigning this license to a user on {@code today}: {@link #WINDOWS} belongs to a
   * machine (INVALID_ARGUMENT, {@code L1_MACHINE_LICENSE}); P1 and P2 after 2020 are a
   * FAILED_PRECONDITION ({@code L1_LEGACY_NO_NEW_ASSIGNMENT}).
   */
  public void requireAssignableToUser(LocalDate today) {
    requireNonNull(today, "today");
    if (appliesToMachine()) {
      throw BotfleetException.invalid(
          ErrorReason.L1_MACHINE_LICENSE,
          "license: "
              + name()
              + " applies to a machine, not a user (expected: a user license such as PREMIUM)");
    }
    if (!newAssignmentAllowed(today)) {
      throw BotfleetException.precondition(
          ErrorReason.L1_LEGACY_NO_NEW_ASSIGNMENT,
          "license: "
              + name()
              + " cannot be newly assigned after "
              + P1_P2_LAST_ASSIGNMENT_DAY
              + " (today: "
              + today
              + "); existing "
              + name()
              + " licenses stay valid until their end. Assign PREMIUM or POWER_APPS_PREMIUM"
              + " instead");
    }
  }
}
