package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.licensing.LicenseType;
import dev.botfleet.orchestrator.users.LicenseSource;
import dev.botfleet.orchestrator.users.LicensedUser;
import dev.botfleet.orchestrator.users.UserLicense;
import dev.botfleet.orchestrator.users.UserRepository;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public final class JdbcUserRepository implements UserRepository {
  private final Jdbc jdbc;

  public JdbcUserRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public boolean insertUser(LicensedUser user) {
    return jdbc.update(
            "INSERT INTO licensed_user (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            user.id(),
            user.name(),
            user.createdAt())
        == 1;
  }

  @Override
  public Optional<LicensedUser> findUserByName(String name, boolean forUpdate) {
    return jdbc.queryOne(
        "SELECT * FROM licensed_user WHERE name = ?" + (forUpdate ? " FOR UPDATE" : ""),
        JdbcUserRepository::user,
        name);
  }

  @Override
  public Optional<LicensedUser> findUserById(String id) {
    return jdbc.queryOne("SELECT * FROM licensed_user WHERE id = ?", JdbcUserRepository::user, id);
  }

  @Override
  public List<LicensedUser> listUsers() {
    return jdbc.query("SELECT * FROM licensed_user ORDER BY name", JdbcUserRepository::user);
  }

  @Override
  public List<UserLicense> listLicenses(String userId) {
    return jdbc.query(
        "SELECT * FROM user_license WHERE user_id = ? ORDER BY license_type",
        JdbcUserRepository::license,
        userId);
  }

  @Override
  public List<UserLicense> listAllLicenses() {
    return jdbc.query(
        "SELECT * FROM user_license ORDER BY user_id, license_type", JdbcUserRepository::license);
  }

  @Override
  public Optional<UserLicense> findLicense(String userId, LicenseType type) {
    return jdbc.queryOne(
        "SELECT * FROM user_license WHERE user_id = ? AND license_type = ?",
        JdbcUserRepository::license,
        userId,
        type);
  }

  @Override
  public void insertLicense(UserLicense l) {
    jdbc.update(
        "INSERT INTO user_license (id, user_id, license_type, source, starts_at, ends_at, extended) VALUES (?, ?, ?, ?, ?, ?, ?)",
        l.id(),
        l.userId(),
        l.type(),
        l.source(),
        l.startsAt(),
        l.endsAt(),
        l.extended());
  }

  @Override
  public boolean deleteLicense(String userId, LicenseType type) {
    return jdbc.update(
            "DELETE FROM user_license WHERE user_id = ? AND license_type = ?", userId, type)
        > 0;
  }

  @Override
  public void updateLicenseEnd(String licenseId, Instant endsAt, boolean extended) {
    jdbc.update(
        "UPDATE user_license SET ends_at = ?, extended = ? WHERE id = ?",
        endsAt,
        extended,
        licenseId);
  }

  @Override
  public Optional<Boolean> selfServiceTrialEnabled(LicenseType type) {
    return jdbc.queryOne(
        "SELECT enabled FROM self_service_trial WHERE license_type = ?",
        rs -> rs.getBoolean(1),
        type);
  }

  @Override
  public Map<LicenseType, Boolean> selfServiceTrialSettings() {
    Map<LicenseType, Boolean> result = new EnumMap<>(LicenseType.class);
    jdbc.query(
        "SELECT license_type, enabled FROM self_service_trial",
        rs -> {
          result.put(LicenseType.valueOf(rs.getString(1)), rs.getBoolean(2));
          return null;
        });
    return result;
  }

  @Override
  public void setSelfServiceTrialEnabled(LicenseType type, boolean enabled, Instant at) {
    if (jdbc.update(
            "UPDATE self_service_trial SET enabled = ?, changed_at = ? WHERE license_type = ?",
            enabled,
            at,
            type)
        == 0) {
      jdbc.update(
          "INSERT INTO self_service_trial (license_type, enabled, changed_at) VALUES (?, ?, ?)",
          type,
          enabled,
          at);
    }
  }

  @Override
  public List<LicensedUser> deleteSelfServiceTrials(LicenseType type) {
    List<LicensedUser> holders =
        jdbc.query(
            "SELECT u.* FROM licensed_user u JOIN user_license l ON l.user_id = u.id"
                + " WHERE l.license_type = ? AND l.source = 'SELF_SERVICE_TRIAL' ORDER BY u.name",
            JdbcUserRepository::user,
            type);
    jdbc.update(
        "DELETE FROM user_license WHERE license_type = ? AND source = 'SELF_SERVICE_TRIAL'", type);
    return holders;
  }

  @Override
  public Optional<String> trialBar(String userId, LicenseType type) {
    return jdbc.queryOne(
        "SELECT reason FROM trial_barred WHERE user_id = ? AND license_type = ?",
        rs -> rs.getString(1),
        userId,
        type);
  }

  @Override
  public void barTrial(String userId, LicenseType type, String reason, Instant at) {
    if (jdbc.update(
            "UPDATE trial_barred SET reason = ?, at = ? WHERE user_id = ? AND license_type = ?",
            reason,
            at,
            userId,
            type)
        == 0) {
      jdbc.update(
          "INSERT INTO trial_barred (user_id, license_type, reason, at) VALUES (?, ?, ?, ?)",
          userId,
          type,
          reason,
          at);
    }
  }

  private static LicensedUser user(ResultSet rs) throws SQLException {
    return new LicensedUser(
        rs.getString("id"), rs.getString("name"), Jdbc.instant(rs, "created_at"));
  }

  private static UserLicense license(ResultSet rs) throws SQLException {
    return new UserLicense(
        rs.getString("id"),
        rs.getString("user_id"),
        LicenseType.valueOf(rs.getString("license_type")),
        LicenseSource.valueOf(rs.getString("source")),
        Jdbc.instant(rs, "starts_at"),
        Jdbc.instant(rs, "ends_at"),
        rs.getBoolean("extended"));
  }
}
