package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.admin.RoleGrant;
import dev.botfleet.orchestrator.principals.PrincipalRepository;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public final class JdbcPrincipalRepository implements PrincipalRepository {
  private static final String SELECT =
      "SELECT p.id, p.name, p.created_at, r.role, r.environment_id FROM principal p"
          + " LEFT JOIN principal_role r ON r.principal_id = p.id ";
  private final Jdbc jdbc;

  public JdbcPrincipalRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public boolean insert(Principal principal, String tokenHash) {
    int inserted =
        jdbc.update(
            "INSERT INTO principal (id, name, token_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            principal.id(),
            principal.name(),
            tokenHash,
            principal.createdAt());
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
  public Optional<Principal> findByTokenHash(String tokenHash) {
    return one(SELECT + "WHERE p.token_hash = ?", tokenHash);
  }

  @Override
  public Optional<Principal> findByName(String name) {
    return one(SELECT + "WHERE p.name = ?", name);
  }

  @Override
  public List<Principal> list() {
    return many(SELECT + "ORDER BY p.name");
  }

  @Override
  public long count() {
    return jdbc.queryLong("SELECT COUNT(*) FROM principal");
  }

  private Optional<Principal> one(String sql, Object... args) {
    List<Principal> all = many(sql, args);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  private record Row(
      String id, String name, java.time.Instant createdAt, String role, String environmentId) {}

  private List<Principal> many(String sql, Object... args) {
    List<Row> rows =
        jdbc.query(
            sql,
            rs ->
                new Row(
                    rs.getString("id"),
                    rs.getString("name"),
                    Jdbc.instant(rs, "created_at"),
                    rs.getString("role"),
                    rs.getString("environment_id")),
            args);
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
          result.add(new Principal(id, first.name(), grants, first.createdAt()));
        });
    return result;
  }
}
