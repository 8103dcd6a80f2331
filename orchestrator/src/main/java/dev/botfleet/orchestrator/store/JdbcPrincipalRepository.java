package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.admin.RoleGrant;
import dev.botfleet.orchestrator.principals.PrincipalRepository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public final class JdbcPrincipalRepository implements PrincipalRepository {
  private static final String SELECT =
      "SELECT p.id, p.name, p.created_at, p.token_expires_at, p.revoked_at,"
          + " p.previous_token_hash, p.previous_token_expires_at, r.role, r.environment_id"
          + " FROM principal p LEFT JOIN principal_role r ON r.principal_id = p.id ";
  private final Jdbc jdbc;

  public JdbcPrincipalRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public boolean insert(Principal principal, String tokenHash) {
    int inserted =
        jdbc.update(
            "INSERT INTO principal (id, name, token_hash, created_at, token_expires_at) VALUES (?, ?, ?, ?, ?)"
                + " ON CONFLICT DO NOTHING",
            principal.id(),
            principal.name(),
            tokenHash,
            principal.createdAt(),
            principal.tokenExpiresAt());
    if (inserted == 0) {
      return false;
    }
    for (RoleGrant grant : principal.roles()) {
      jdbc.update(
          "INSERT INTO principal_role (principal_id, role, environment_id) VALUES (?, ?, ?)",
          principal.id(),
          grant.role(),
          grant.environmentId());
    }
    return true;
  }

  @Override
  public Optional<TokenMatch> findByTokenHash(String tokenHash) {
    List<Row> rows =
        rows(SELECT + "WHERE p.token_hash = ? OR p.previous_token_hash = ?", tokenHash, tokenHash);
    if (rows.isEmpty()) {
      return Optional.empty();
    }
    Row first = rows.get(0);
    boolean previous = tokenHash.equals(first.previousTokenHash());
    return Optional.of(
        new TokenMatch(
            principals(rows).get(0), previous, previous ? first.previousExpiresAt() : null));
  }

  @Override
  public Optional<Principal> findByName(String name) {
    List<Principal> all = principals(rows(SELECT + "WHERE p.name = ?", name));
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  @Override
  public List<Principal> list() {
    return principals(rows(SELECT + "ORDER BY p.name"));
  }

  @Override
  public long count() {
    return jdbc.queryLong("SELECT COUNT(*) FROM principal");
  }

  @Override
  public long generation() {
    return jdbc.queryLong("SELECT generation FROM credential_generation WHERE id = 1");
  }

  @Override
  public void bumpGenerationLocked() {
    jdbc.query(
        "SELECT generation FROM credential_generation WHERE id = 1 FOR UPDATE",
        rs -> rs.getLong(1));
    jdbc.update("UPDATE credential_generation SET generation = generation + 1 WHERE id = 1");
  }

  @Override
  public long activeGlobalAdmins() {
    return jdbc.queryLong(
        "SELECT COUNT(DISTINCT p.id) FROM principal p JOIN principal_role r ON r.principal_id = p.id"
            + " WHERE r.role = 'GLOBAL_ADMIN' AND p.revoked_at IS NULL");
  }

  @Override
  public boolean revoke(String id, Instant at) {
    return jdbc.update(
            "UPDATE principal SET revoked_at = ?, previous_token_hash = NULL, previous_token_expires_at = NULL"
                + " WHERE id = ? AND revoked_at IS NULL",
            at,
            id)
        == 1;
  }

  @Override
  public void rotate(
      String id,
      String newTokenHash,
      Instant newTokenExpiresAt,
      Instant previousValidUntil,
      boolean reinstate) {
    String current =
        jdbc.queryOne(
                "SELECT token_hash FROM principal WHERE id = ? FOR UPDATE",
                rs -> rs.getString(1),
                id)
            .orElseThrow();
    jdbc.update(
        "UPDATE principal SET token_hash = ?, token_expires_at = ?, previous_token_hash = ?,"
            + " previous_token_expires_at = ?"
            + (reinstate ? ", revoked_at = NULL" : "")
            + " WHERE id = ?",
        newTokenHash,
        newTokenExpiresAt,
        previousValidUntil == null ? null : current,
        previousValidUntil,
        id);
  }

  private record Row(
      String id,
      String name,
      Instant createdAt,
      Instant tokenExpiresAt,
      Instant revokedAt,
      String previousTokenHash,
      Instant previousExpiresAt,
      String role,
      String environmentId) {}

  private List<Row> rows(String sql, Object... args) {
    return jdbc.query(
        sql,
        rs ->
            new Row(
                rs.getString("id"),
                rs.getString("name"),
                Jdbc.instant(rs, "created_at"),
                Jdbc.instant(rs, "token_expires_at"),
                Jdbc.instant(rs, "revoked_at"),
                rs.getString("previous_token_hash"),
                Jdbc.instant(rs, "previous_token_expires_at"),
                rs.getString("role"),
                rs.getString("environment_id")),
        args);
  }

  private static List<Principal> principals(List<Row> rows) {
    Map<String, List<Row>> byId = new LinkedHashMap<>();
    rows.forEach(r -> byId.computeIfAbsent(r.id(), k -> new ArrayList<>()).add(r));
    List<Principal> result = new ArrayList<>();
    byId.forEach(
        (id, rs) -> {
          List<RoleGrant> grants = new ArrayList<>();
          rs.stream()
              .filter(r -> r.role() != null)
              .forEach(r -> grants.add(new RoleGrant(Role.valueOf(r.role()), r.environmentId())));
          Row first = rs.get(0);
          result.add(
              new Principal(
                  id,
                  first.name(),
                  grants,
                  first.createdAt(),
                  first.tokenExpiresAt(),
                  first.revokedAt()));
        });
    return result;
  }
}
