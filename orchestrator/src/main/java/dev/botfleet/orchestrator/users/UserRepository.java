package dev.botfleet.orchestrator.users;

import dev.botfleet.orchestrator.licensing.LicenseType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Users, their licenses and self-service trial settings (L1–L6). Called inside transactions. */
public interface UserRepository {
  /** False when the name is taken. */
  boolean insertUser(LicensedUser user);

  Optional<LicensedUser> findUserByName(String name, boolean forUpdate);

  Optional<LicensedUser> findUserById(String id);

  List<LicensedUser> listUsers();

  List<UserLicense> listLicenses(String userId);

  List<UserLicense> listAllLicenses();

  Optional<UserLicense> findLicense(String userId, LicenseType type);

  void insertLicense(UserLicense license);

  boolean deleteLicense(String userId, LicenseType type);

  void updateLicenseEnd(String licenseId, Instant endsAt, boolean extended);

  /** Empty when never set (enabled by default). */
  Optional<Boolean> selfServiceTrialEnabled(LicenseType type);

  Map<LicenseType, Boolean> selfServiceTrialSettings();

  void setSelfServiceTrialEnabled(LicenseType type, boolean enabled, Instant at);

  /**
   * L5: deletes every self-service trial of {@code type}; returns the users it was removed from.
   */
  List<LicensedUser> deleteSelfServiceTrials(LicenseType type);

  /** L5: the reason a user may not self-start {@code type} (REVOKED or USED), if any. */
  Optional<String> trialBar(String userId, LicenseType type);

  /** L5: bars a user from self-starting {@code type}; REVOKED overrides USED. */
  void barTrial(String userId, LicenseType type, String reason, Instant at);
}
