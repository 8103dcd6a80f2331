package dev.botfleet.orchestrator.metering;

import dev.botfleet.orchestrator.flows.Charge;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Daily bucket counters, contributions (M6) and idempotency keys (M4). Called inside transactions.
 */
public interface MeteringRepository {
  /** A bucket's counters on one day. */
  record BucketDay(
      BucketKey key, String plan, long dailyLimit, long used, long overage, long throttled) {}

  /** A recorded key and what it was charged. */
  record KeyRow(
      String key,
      Instant recordedAt,
      Charge.BucketKind bucketKind,
      String bucketId,
      String plan,
      long requests,
      long overage) {}

  /** Who contributed how much to a bucket that day (M6). */
  record Contribution(
      BucketKey bucket,
      String sourceKind,
      String sourceId,
      long requests,
      long overage,
      long throttled) {}

  /** The keys among {@code keys} that are already recorded. */
  Map<String, KeyRow> findKeys(Collection<String> keys);

  /** Inserts the keys that are new; returns the ones already recorded (duplicates, M4). */
  List<String> insertKeys(List<KeyRow> rows);

  void deleteKeys(List<String> keys);

  /** Sets the overage of keys inserted by this transaction. */
  void updateKeyOverage(List<KeyRow> rows);

  /** Locks the bucket rows that exist (FOR UPDATE), in key order, and returns them. */
  Map<BucketKey, BucketDay> lockBuckets(Collection<BucketKey> keys);

  /** Inserts new bucket rows; returns false for rows another transaction inserted first. */
  boolean[] insertBuckets(List<BucketDay> rows);

  /** Sets the counters, plan and limit of rows this transaction locked. */
  void updateBuckets(List<BucketDay> rows);

  /** Adds the deltas to contributions, inserting missing rows. */
  void addContributions(List<Contribution> deltas);

  int pruneKeys(Instant recordedBefore);

  // ---- read side

  List<BucketDay> buckets(Collection<BucketKey> keys);

  /** The buckets charged by any of {@code sources} (kind:id) on {@code day}. */
  List<BucketKey> bucketsOfSource(String sourceKind, String sourceId, LocalDate day);

  List<Contribution> contributions(BucketKey bucket);

  /** Counts today's buckets whose used is at least {@code percent}% of their limit. */
  long countBucketsAtLeast(LocalDate day, int percent);
}
