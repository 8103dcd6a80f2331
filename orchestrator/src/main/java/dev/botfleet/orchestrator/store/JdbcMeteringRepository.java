package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.flows.Charge;
import dev.botfleet.orchestrator.metering.BucketKey;
import dev.botfleet.orchestrator.metering.MeteringRepository;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Metering tables (M1–M6). Multi-row statements go in one JDBC batch; IN lists are chunked so a
 * batch of thousands of keys stays within bind-parameter limits.
 */
public final class JdbcMeteringRepository implements MeteringRepository {
  private static final int CHUNK = 500;
  private final Jdbc jdbc;

  public JdbcMeteringRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Map<String, KeyRow> findKeys(Collection<String> keys) {
    Map<String, KeyRow> found = new HashMap<>();
    List<String> all = new ArrayList<>(keys);
    for (int from = 0; from < all.size(); from += CHUNK) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
      String sql =
          "SELECT * FROM usage_key WHERE idempotency_key IN ("
              + placeholders(chunk.size(), "?")
              + ")";
      for (KeyRow k : jdbc.query(sql, JdbcMeteringRepository::keyRow, chunk.toArray())) {
        found.put(k.key(), k);
      }
    }
    return found;
  }

  @Override
  public List<String> insertKeys(List<KeyRow> rows) {
    if (rows.isEmpty()) {
      return List.of();
    }
    if (jdbc.dialect().arrayInserts()) {
      return insertKeysAsArrays(rows);
    }
    List<Object[]> args = new ArrayList<>(rows.size());
    java.time.OffsetDateTime at = null;
    Instant atInstant = null;
    for (KeyRow k : rows) {
      if (!k.recordedAt().equals(atInstant)) {
        atInstant = k.recordedAt();
        at = java.time.OffsetDateTime.ofInstant(atInstant, java.time.ZoneOffset.UTC);
      }
      args.add(
          new Object[] {
            k.key(), at, k.bucketKind().name(), k.bucketId(), k.plan(), k.requests(), k.overage()
          });
    }
    int[] counts =
        jdbc.batch(
            "INSERT INTO usage_key (idempotency_key, recorded_at, bucket_kind, bucket_id, plan, requests, overage)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            args);
    List<String> conflicts = new ArrayList<>();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        conflicts.add(rows.get(i).key());
      }
    }
    return conflicts;
  }

  /**
   * PostgreSQL: the batch's keys in one statement (seven array parameters, {@code unnest}); the
   * keys it did not insert are the conflicts (M4). A JDBC batch of single-row inserts costs a
   * parse, bind and execute per row, which was most of the writer's time (docs/benchmarks.md).
   */
  private List<String> insertKeysAsArrays(List<KeyRow> rows) {
    int n = rows.size();
    String[] keys = new String[n];
    String[] at = new String[n];
    String[] kinds = new String[n];
    String[] ids = new String[n];
    String[] plans = new String[n];
    Long[] requests = new Long[n];
    Long[] overage = new Long[n];
    for (int i = 0; i < n; i++) {
      KeyRow k = rows.get(i);
      keys[i] = k.key();
      at[i] = k.recordedAt().toString();
      kinds[i] = k.bucketKind().name();
      ids[i] = k.bucketId();
      plans[i] = k.plan();
      requests[i] = k.requests();
      overage[i] = k.overage();
    }
    java.sql.Connection c = jdbc.connection();
    java.util.Set<String> inserted = new java.util.HashSet<>(n * 2);
    try (var ps =
        c.prepareStatement(
            "INSERT INTO usage_key (idempotency_key, recorded_at, bucket_kind, bucket_id, plan, requests, overage)"
                + " SELECT * FROM unnest(?::varchar[], ?::text[]::timestamptz[], ?::varchar[],"
                + " ?::varchar[], ?::varchar[], ?::bigint[], ?::bigint[])"
                + " ON CONFLICT DO NOTHING RETURNING idempotency_key")) {
      ps.setArray(1, c.createArrayOf("varchar", keys));
      ps.setArray(2, c.createArrayOf("text", at));
      ps.setArray(3, c.createArrayOf("varchar", kinds));
      ps.setArray(4, c.createArrayOf("varchar", ids));
      ps.setArray(5, c.createArrayOf("varchar", plans));
      ps.setArray(6, c.createArrayOf("int8", requests));
      ps.setArray(7, c.createArrayOf("int8", overage));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          inserted.add(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new JdbcTransactions.SqlFailure(e);
    }
    List<String> conflicts = new ArrayList<>();
    for (String k : keys) {
      if (!inserted.contains(k)) {
        conflicts.add(k);
      }
    }
    return conflicts;
  }

  @Override
  public void deleteKeys(List<String> keys) {
    List<Object[]> args = new ArrayList<>();
    keys.forEach(k -> args.add(new Object[] {k}));
    jdbc.batch("DELETE FROM usage_key WHERE idempotency_key = ?", args);
  }

  @Override
  public void updateKeyOverage(List<KeyRow> rows) {
    List<Object[]> args = new ArrayList<>();
    rows.forEach(k -> args.add(new Object[] {k.overage(), k.key()}));
    jdbc.batch("UPDATE usage_key SET overage = ? WHERE idempotency_key = ?", args);
  }

  @Override
  public Map<BucketKey, BucketDay> lockBuckets(Collection<BucketKey> keys) {
    return selectBuckets(keys, true);
  }

  @Override
  public List<BucketDay> buckets(Collection<BucketKey> keys) {
    return new ArrayList<>(selectBuckets(keys, false).values());
  }

  private Map<BucketKey, BucketDay> selectBuckets(Collection<BucketKey> keys, boolean forUpdate) {
    Map<BucketKey, BucketDay> found = new HashMap<>();
    List<BucketKey> sorted = new ArrayList<>(new TreeSet<>(keys));
    for (int from = 0; from < sorted.size(); from += CHUNK) {
      List<BucketKey> chunk = sorted.subList(from, Math.min(sorted.size(), from + CHUNK));
      Object[] args = new Object[chunk.size() * 3];
      for (int i = 0; i < chunk.size(); i++) {
        args[3 * i] = chunk.get(i).kind();
        args[3 * i + 1] = chunk.get(i).id();
        args[3 * i + 2] = Date.valueOf(chunk.get(i).day());
      }
      String sql =
          "SELECT * FROM usage_bucket_day WHERE (bucket_kind, bucket_id, usage_day) IN ("
              + placeholders(chunk.size(), "(?, ?, ?)")
              + ")"
              + " ORDER BY bucket_kind, bucket_id, usage_day"
              + (forUpdate ? " FOR UPDATE" : "");
      for (BucketDay b : jdbc.query(sql, JdbcMeteringRepository::bucket, args)) {
        found.put(b.key(), b);
      }
    }
    return found;
  }

  @Override
  public boolean[] insertBuckets(List<BucketDay> rows) {
    if (rows.isEmpty()) {
      return new boolean[0];
    }
    List<Object[]> args = new ArrayList<>();
    for (BucketDay b : rows) {
      args.add(
          new Object[] {
            b.key().kind(),
            b.key().id(),
            Date.valueOf(b.key().day()),
            b.plan(),
            b.dailyLimit(),
            b.used(),
            b.overage(),
            b.throttled()
          });
    }
    int[] counts =
        jdbc.batch(
            "INSERT INTO usage_bucket_day (bucket_kind, bucket_id, usage_day, plan, daily_limit, used, overage, throttled)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            args);
    boolean[] inserted = new boolean[counts.length];
    for (int i = 0; i < counts.length; i++) {
      inserted[i] = counts[i] != 0;
    }
    return inserted;
  }

  @Override
  public void updateBuckets(List<BucketDay> rows) {
    if (rows.isEmpty()) {
      return;
    }
    List<Object[]> args = new ArrayList<>();
    for (BucketDay b : rows) {
      args.add(
          new Object[] {
            b.plan(),
            b.dailyLimit(),
            b.used(),
            b.overage(),
            b.throttled(),
            b.key().kind(),
            b.key().id(),
            Date.valueOf(b.key().day())
          });
    }
    jdbc.batch(
        "UPDATE usage_bucket_day SET plan = ?, daily_limit = ?, used = ?, overage = ?, throttled = ?"
            + " WHERE bucket_kind = ? AND bucket_id = ? AND usage_day = ?",
        args);
  }

  @Override
  public void addContributions(List<Contribution> deltas) {
    if (deltas.isEmpty()) {
      return;
    }
    List<Object[]> args = new ArrayList<>();
    for (Contribution c : deltas) {
      args.add(
          new Object[] {
            c.requests(),
            c.overage(),
            c.throttled(),
            c.bucket().kind(),
            c.bucket().id(),
            Date.valueOf(c.bucket().day()),
            c.sourceKind(),
            c.sourceId()
          });
    }
    int[] counts =
        jdbc.batch(
            "UPDATE usage_contribution SET requests = requests + ?, overage = overage + ?, throttled = throttled + ?"
                + " WHERE bucket_kind = ? AND bucket_id = ? AND usage_day = ? AND source_kind = ? AND source_id = ?",
            args);
    // The bucket row lock serialises writers of its contributions, so a missing row is ours to
    // insert.
    List<Object[]> inserts = new ArrayList<>();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        Contribution c = deltas.get(i);
        inserts.add(
            new Object[] {
              c.bucket().kind(),
              c.bucket().id(),
              Date.valueOf(c.bucket().day()),
              c.sourceKind(),
              c.sourceId(),
              c.requests(),
              c.overage(),
              c.throttled()
            });
      }
    }
    if (!inserts.isEmpty()) {
      jdbc.batch(
          "INSERT INTO usage_contribution (bucket_kind, bucket_id, usage_day, source_kind, source_id, requests, overage, throttled)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          inserts);
    }
  }

  @Override
  public int pruneKeys(Instant recordedBefore) {
    return jdbc.update("DELETE FROM usage_key WHERE recorded_at < ?", recordedBefore);
  }

  @Override
  public List<BucketKey> bucketsOfSource(String sourceKind, String sourceId, LocalDate day) {
    return jdbc.query(
        "SELECT bucket_kind, bucket_id, usage_day FROM usage_contribution WHERE source_kind = ? AND source_id = ? AND usage_day = ? ORDER BY bucket_kind, bucket_id",
        rs ->
            new BucketKey(
                Charge.BucketKind.valueOf(rs.getString(1)),
                rs.getString(2),
                rs.getObject(3, LocalDate.class)),
        sourceKind,
        sourceId,
        Date.valueOf(day));
  }

  @Override
  public List<Contribution> contributions(BucketKey b) {
    return jdbc.query(
        "SELECT * FROM usage_contribution WHERE bucket_kind = ? AND bucket_id = ? AND usage_day = ? ORDER BY requests DESC",
        rs ->
            new Contribution(
                b,
                rs.getString("source_kind"),
                rs.getString("source_id"),
                rs.getLong("requests"),
                rs.getLong("overage"),
                rs.getLong("throttled")),
        b.kind(),
        b.id(),
        Date.valueOf(b.day()));
  }

  @Override
  public long countBucketsAtLeast(LocalDate day, int percent) {
    return jdbc.queryLong(
        "SELECT COUNT(*) FROM usage_bucket_day WHERE usage_day = ? AND daily_limit > 0 AND used * 100 >= daily_limit * ?",
        Date.valueOf(day),
        (long) percent);
  }

  private static String placeholders(int n, String one) {
    StringBuilder sb = new StringBuilder(n * (one.length() + 2));
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(one);
    }
    return sb.toString();
  }

  private static KeyRow keyRow(ResultSet rs) throws SQLException {
    return new KeyRow(
        rs.getString("idempotency_key"),
        Jdbc.instant(rs, "recorded_at"),
        Charge.BucketKind.valueOf(rs.getString("bucket_kind")),
        rs.getString("bucket_id"),
        rs.getString("plan"),
        rs.getLong("requests"),
        rs.getLong("overage"));
  }

  private static BucketDay bucket(ResultSet rs) throws SQLException {
    return new BucketDay(
        new BucketKey(
            Charge.BucketKind.valueOf(rs.getString("bucket_kind")),
            rs.getString("bucket_id"),
            rs.getObject("usage_day", LocalDate.class)),
        rs.getString("plan"),
        rs.getLong("daily_limit"),
        rs.getLong("used"),
        rs.getLong("overage"),
        rs.getLong("throttled"));
  }
}
