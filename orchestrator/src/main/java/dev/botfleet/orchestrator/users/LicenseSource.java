package dev.botfleet.orchestrator.users;

/** Where a user license came from (SPEC "Entities"). */
public enum LicenseSource {
  /** Assigned by an admin. */
  ASSIGNED,
  /** Self-provisioned trial, 90 days (L1, L5). */
  SELF_SERVICE_TRIAL,
  /** Admin-managed trial: 30 days, extendable once by 30 (L6). */
  ADMIN_TRIAL,
  /** Tied to another product (Microsoft 365, Dynamics 365, Power Apps). */
  SEEDED
}
