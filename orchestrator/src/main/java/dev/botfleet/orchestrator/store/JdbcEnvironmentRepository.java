package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentRepository;
import dev.botfleet.orchestrator.environments.EnvironmentType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

public final class JdbcEnvironmentRepository implements EnvironmentRepository {
  private final Jdbc jdbc;

  public JdbcEnvironmentRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public boolean insert(Environment e) {
    return jdbc.update(
            "INSERT INTO environment (id, name, type, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            e.id(),
            e.name(),
            e.type(),
            e.createdAt())
        == 1;
  }

  @Override
  public Optional<Environment> findByName(String name) {
    return jdbc.queryOne(
        "SELECT * FROM environment WHERE name = ?", JdbcEnvironmentRepository::map, name);
  }

  @Override
  public Optional<Environment> findById(String id) {
    return jdbc.queryOne(
        "SELECT * FROM environment WHERE id = ?", JdbcEnvironmentRepository::map, id);
  }

  @Override
  public List<Environment> list() {
    return jdbc.query("SELECT * FROM environment ORDER BY name", JdbcEnvironmentRepository::map);
  }

  static Environment map(ResultSet rs) throws SQLException {
    return new Environment(
        rs.getString("id"),
        rs.getString("name"),
        EnvironmentType.valueOf(rs.getString("type")),
        Jdbc.instant(rs, "created_at"));
  }
}
