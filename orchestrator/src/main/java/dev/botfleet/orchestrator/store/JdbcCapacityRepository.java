package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.capacity.Allocation;
import dev.botfleet.orchestrator.capacity.AppShare;
import dev.botfleet.orchestrator.capacity.CapacityRepository;
import dev.botfleet.orchestrator.capacity.Purchase;
import dev.botfleet.orchestrator.capacity.Sku;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

public final class JdbcCapacityRepository implements CapacityRepository {
  private final Jdbc jdbc;

  public JdbcCapacityRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void lockSku(Sku sku) {
    jdbc.query("SELECT sku FROM capacity_sku WHERE sku = ? FOR UPDATE", rs -> rs.getString(1), sku);
  }

  @Override
  public boolean insertPurchase(Purchase p) {
    return jdbc.update(
            "INSERT INTO purchase (id, sku, quantity, trial, starts_at, ends_at, extended, idempotency_key, created_by)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            p.id(),
            p.sku(),
            p.quantity(),
            p.trial(),
            p.startsAt(),
            p.endsAt(),
            p.extended(),
            p.idempotencyKey(),
            p.createdBy())
        == 1;
  }

  @Override
  public Optional<Purchase> findPurchase(String id, boolean forUpdate) {
    return jdbc.queryOne(
        "SELECT * FROM purchase WHERE id = ?" + (forUpdate ? " FOR UPDATE" : ""),
        JdbcCapacityRepository::purchase,
        id);
  }

  @Override
  public Optional<Purchase> findPurchaseByKey(String key) {
    return jdbc.queryOne(
        "SELECT * FROM purchase WHERE idempotency_key = ?", JdbcCapacityRepository::purchase, key);
  }

  @Override
  public List<Purchase> listPurchases() {
    return jdbc.query(
        "SELECT * FROM purchase ORDER BY starts_at, id", JdbcCapacityRepository::purchase);
  }

  @Override
  public void updatePurchaseEnd(String id, Instant endsAt, boolean extended) {
    jdbc.update("UPDATE purchase SET ends_at = ?, extended = ? WHERE id = ?", endsAt, extended, id);
  }

  @Override
  public List<Allocation> listAllocations() {
    return jdbc.query(
        "SELECT * FROM allocation ORDER BY raised_at, environment_id",
        JdbcCapacityRepository::allocation);
  }

  @Override
  public List<Allocation> listAllocations(Sku sku) {
    return jdbc.query(
        "SELECT * FROM allocation WHERE sku = ? ORDER BY raised_at, environment_id",
        JdbcCapacityRepository::allocation,
        sku);
  }

  @Override
  public Optional<Allocation> findAllocation(String environmentId, Sku sku, boolean forUpdate) {
    return jdbc.queryOne(
        "SELECT * FROM allocation WHERE environment_id = ? AND sku = ?"
            + (forUpdate ? " FOR UPDATE" : ""),
        JdbcCapacityRepository::allocation,
        environmentId,
        sku);
  }

  /** Callers hold the SKU lock, so update-then-insert cannot race with another writer. */
  @Override
  public void saveAllocation(Allocation a, Instant now) {
    int updated =
        jdbc.update(
            "UPDATE allocation SET quantity = ?, raised_at = ?, updated_at = ? WHERE environment_id = ? AND sku = ?",
            a.quantity(),
            a.raisedAt(),
            now,
            a.environmentId(),
            a.sku());
    if (updated == 0) {
      jdbc.update(
          "INSERT INTO allocation (environment_id, sku, quantity, raised_at, updated_at) VALUES (?, ?, ?, ?, ?)",
          a.environmentId(),
          a.sku(),
          a.quantity(),
          a.raisedAt(),
          now);
    }
  }

  @Override
  public boolean insertAppShare(AppShare s) {
    return jdbc.update(
            "INSERT INTO app_share (environment_id, app, user_name, shared_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            s.environmentId(),
            s.app(),
            s.user(),
            s.sharedAt())
        == 1;
  }

  @Override
  public boolean deleteAppShare(String environmentId, String app, String user) {
    return jdbc.update(
            "DELETE FROM app_share WHERE environment_id = ? AND app = ? AND user_name = ?",
            environmentId,
            app,
            user)
        == 1;
  }

  @Override
  public List<AppShare> listAppShares(String environmentId) {
    return jdbc.query(
        "SELECT * FROM app_share WHERE environment_id = ? ORDER BY app, user_name",
        rs ->
            new AppShare(
                rs.getString("environment_id"),
                rs.getString("app"),
                rs.getString("user_name"),
                Jdbc.instant(rs, "shared_at")),
        environmentId);
  }

  @Override
  public Map<String, Long> countAppSharesByEnvironment() {
    Map<String, Long> result = new HashMap<>();
    jdbc.query(
        "SELECT environment_id, COUNT(*) AS n FROM app_share GROUP BY environment_id",
        rs -> result.put(rs.getString("environment_id"), rs.getLong("n")));
    return result;
  }

  @Override
  public long countAppShares(String environmentId) {
    return jdbc.queryLong("SELECT COUNT(*) FROM app_share WHERE environment_id = ?", environmentId);
  }

  private static Purchase purchase(ResultSet rs) throws SQLException {
    return new Purchase(
        rs.getString("id"),
        Sku.valueOf(rs.getString("sku")),
        rs.getLong("quantity"),
        rs.getBoolean("trial"),
        Jdbc.instant(rs, "starts_at"),
        Jdbc.instant(rs, "ends_at"),
        rs.getBoolean("extended"),
        rs.getString("idempotency_key"),
        rs.getString("created_by"));
  }

  private static Allocation allocation(ResultSet rs) throws SQLException {
    return new Allocation(
        rs.getString("environment_id"),
        Sku.valueOf(rs.getString("sku")),
        rs.getLong("quantity"),
        Jdbc.instant(rs, "raised_at"));
  }
}
