package dev.botfleet.orchestrator.metering;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.GroupCommit;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.OverLimitPolicy;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.TenantRepository;
import dev.botfleet.orchestrator.admin.TenantSettings;
import dev.botfleet.orchestrator.flows.Charge;
import dev.botfleet.orchestrator.flows.CloudFlows;
import dev.botfleet.orchestrator.flows.FlowCharges;
import dev.botfleet.orchestrator.licensing.FlowPlan;
import dev.botfleet.orchestrator.metering.MeteringRepository.BucketDay;
import dev.botfleet.orchestrator.metering.MeteringRepository.Contribution;
import dev.botfleet.orchestrator.metering.MeteringRepository.KeyRow;
import dev.botfleet.orchestrator.users.LicenseService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Power Platform Request recorder (M1–M5): the group-commit writer of request records.
 *
 * <p>Callers hand in batches of records; a writer thread ({@link #WRITERS} of them) takes whatever
 * is queued (up to {@link #MAX_BATCH_RECORDS} records from many callers) and writes it in one
 * transaction: it claims the keys and skips those already recorded (M4), charges each record to its
 * one bucket (M1, see {@link FlowCharges#charge}) of the current metering day (M2), locks those
 * bucket rows, applies the over-limit policy (M3), adds to the bucket and contribution counters
 * (M6), stores the keys, and commits. Only then are the callers' futures completed: a record is
 * acknowledged only after the transaction holding it committed, so an acknowledged record survives
 * a crash (M5) — this is group commit: one commit (one log flush) for the whole batch.
 */
public final class RequestRecorder implements AutoCloseable {
  /** M4: keys are kept this long; a record retried later than this would be counted again. */
  public static final Duration KEY_RETENTION = Duration.ofDays(3);

  /** Records written in one transaction at most. */
  public static final int MAX_BATCH_RECORDS = 4096;

  /**
   * Writer threads. Two let one batch claim its keys while the other commits; batches touching the
   * same bucket still serialise on its row lock, so limits hold (M3), and a key in two batches at
   * once is claimed by one of them (the unique key makes the other wait and see it, M4).
   */
  static final int WRITERS = 2;

  /** Records in one call at most. */
  public static final int MAX_RECORDS_PER_CALL = 10_000;

  private static final Duration PRUNE_EVERY = Duration.ofHours(1);

  private final Transactions tx;
  private final MeteringRepository repository;
  private final CloudFlows flows;
  private final FlowCharges charges;
  private final BucketNames names;
  private final LicenseService licenses;
  private final TenantRepository tenant;
  private final Clock clock;
  private final List<MeteringListener> listeners = new CopyOnWriteArrayList<>();
  private final GroupCommit<Pending, List<RecordResult>> writer;
  private final ScheduledExecutorService pruner;

  /**
   * Charges by subject, valid while {@link FlowCharges#version()} is unchanged and for {@link
   * #CACHE_TTL_NANOS}.
   */
  private final Map<Subject, CachedCharge> chargeCache =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Subject names to ids, for {@link #CACHE_TTL_NANOS}. */
  private final Map<String, CachedSubject> subjectCache =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * How long a resolved charge or name is reused. Plan changes made through this replica apply to
   * the next batch (the version check); P7 cover changes (bots, runs) and changes made through
   * other replicas apply within this time.
   */
  static final long CACHE_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private record CachedCharge(Charge charge, long version, long until) {}

  private record CachedSubject(Subject subject, long until) {}

  public RequestRecorder(
      Transactions tx,
      MeteringRepository repository,
      CloudFlows flows,
      FlowCharges charges,
      LicenseService licenses,
      TenantRepository tenant,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.repository = requireNonNull(repository, "repository");
    this.flows = requireNonNull(flows, "flows");
    this.charges = requireNonNull(charges, "charges");
    this.licenses = requireNonNull(licenses, "licenses");
    this.tenant = requireNonNull(tenant, "tenant");
    this.clock = requireNonNull(clock, "clock");
    this.names = new BucketNames(flows, licenses);
    // Batches are bounded by records, not calls; a failed batch fails its callers, who retry with
    // the same keys (M4), so there is nothing to keep.
    this.writer =
        new GroupCommit<>(
            "metering-writer",
            WRITERS,
            MAX_BATCH_RECORDS,
            p -> p.records().size(),
            this::writeBatch,
            null,
            ErrorReason.M5_SHUTTING_DOWN);
    this.pruner =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "metering-key-pruner");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the writers and the hourly M4 key pruning (Orchestrator.start). */
  public void start() {
    writer.start();
    pruner.scheduleWithFixedDelay(this::pruneQuietly, 0, PRUNE_EVERY.toSeconds(), TimeUnit.SECONDS);
  }

  public void addListener(MeteringListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  // ---------------------------------------------------------------- record

  /** The resolved subject of a record: a flow id or a user id. */
  /** What a record is charged for; {@code environmentId} only for flows (users are tenant-wide). */
  private record Subject(Charge.BucketKind kind, String id, String environmentId) {}

  private record ContributionKey(BucketKey bucket, Subject source) {}

  private record Pending(List<UsageRecord> records, List<Subject> subjects) {}

  /**
   * Queues {@code records} for the writer. The future completes after the batch holding them
   * committed (M5), with one result per record in order; it fails when the write failed (nothing of
   * the call was counted then: retrying with the same keys is safe, M4). Unknown flows or users
   * fail the whole call at once, before anything is written.
   */
  public CompletableFuture<List<RecordResult>> record(Principal caller, List<UsageRecord> records) {
    requireNonNull(caller, "caller");
    requireNonNull(records, "records");
    if (records.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    if (records.size() > MAX_RECORDS_PER_CALL) {
      throw BotfleetException.invalid(
          ErrorReason.M5_BATCH_TOO_LARGE,
          "records: "
              + records.size()
              + " in one call (expected: at most "
              + MAX_RECORDS_PER_CALL
              + ")");
    }
    Map<String, Subject> resolved = new HashMap<>();
    List<Subject> subjects = new ArrayList<>(records.size());
    long now = System.nanoTime();
    for (UsageRecord r : records) {
      String k = r.flow() != null ? "f:" + r.environment() + ":" + r.flow() : "u:" + r.user();
      Subject s = resolved.get(k);
      if (s == null) {
        CachedSubject cached = subjectCache.get(k);
        if (cached != null && now - cached.until() < 0) {
          s = cached.subject();
        } else {
          if (r.flow() != null) {
            var flow = flows.require(r.flow(), r.environment());
            s = new Subject(Charge.BucketKind.FLOW, flow.id(), flow.environmentId());
          } else {
            s = new Subject(Charge.BucketKind.USER, licenses.requireUser(r.user()).id(), null);
          }
          if (subjectCache.size() > 100_000) {
            subjectCache.clear();
          }
          subjectCache.put(k, new CachedSubject(s, now + CACHE_TTL_NANOS));
        }
        // Issue 12 §2: usage is recorded where the caller may act: a flow's environment (its
        // admins and makers), a user's licenses (tenant-wide, so tenant admins).
        if (s.environmentId() != null) {
          Access.requireMakerIn(
              caller,
              s.environmentId(),
              r.environment(),
              "record usage of flow '" + r.flow() + "'");
        } else {
          Access.requireTenantAdmin(caller, "record usage charged to user '" + r.user() + "'");
        }
        resolved.put(k, s);
      }
      subjects.add(s);
    }
    return writer.submitAsync(new Pending(List.copyOf(records), subjects));
  }

  /** One transaction for the batch; its callers are answered by GroupCommit once it committed. */
  private List<List<RecordResult>> writeBatch(List<Pending> batch) {
    Written w = tx.inTransaction(() -> write(batch));
    for (MeteringListener l : listeners) {
      try {
        w.recorded().forEach((plan, c) -> l.recorded(plan, c[0], c[1]));
        if (w.throttledRecords() > 0) {
          l.throttled(w.throttledRecords(), w.throttledRequests());
        }
      } catch (RuntimeException e) {
        // metrics must never fail metering
      }
    }
    return w.results();
  }

  private record Written(
      List<List<RecordResult>> results,
      Map<FlowPlan, long[]> recorded,
      long throttledRecords,
      long throttledRequests) {}

  /** Running counters of one bucket while a batch is decided. */
  private static final class State {
    final BucketKey key;
    long used;
    long overage;
    long throttled;
    long limit;
    String plan;

    State(BucketKey key, BucketDay row) {
      this.key = key;
      this.used = row.used();
      this.overage = row.overage();
      this.throttled = row.throttled();
    }
  }

  private Written write(List<Pending> batch) {
    TenantSettings settings = tenant.get();
    Instant now = clock.instant();
    LocalDate day = settings.meteringDay(now);
    Instant reset = settings.nextReset(now);

    // M1: one charge per subject, decided once per batch (cached across batches, see chargeOf).
    Map<Subject, Charge> charges = new HashMap<>();
    for (Pending p : batch) {
      for (Subject s : p.subjects()) {
        if (!charges.containsKey(s)) {
          charges.put(s, chargeOf(s));
        }
      }
    }
    // M4: claim every key first; the unique key makes a concurrent claimer (another replica) wait
    // for this transaction and then see the key as recorded. Keys that were already there are
    // duplicates; throttled records give their claim back below.
    Map<String, KeyRow> claims = new LinkedHashMap<>();
    for (Pending p : batch) {
      for (int i = 0; i < p.records().size(); i++) {
        UsageRecord r = p.records().get(i);
        if (!claims.containsKey(r.key())) {
          Charge c = charges.get(p.subjects().get(i));
          claims.put(
              r.key(),
              new KeyRow(
                  r.key(), now, c.bucketKind(), c.bucketId(), c.plan().name(), r.requests(), 0));
        }
      }
    }
    List<String> taken = repository.insertKeys(new ArrayList<>(claims.values()));
    Map<String, KeyRow> existing = taken.isEmpty() ? Map.of() : repository.findKeys(taken);
    Set<BucketKey> bucketKeys = new LinkedHashSet<>();
    for (Charge c : charges.values()) {
      bucketKeys.add(new BucketKey(c.bucketKind(), c.bucketId(), day));
    }
    Map<BucketKey, State> states = lockOrCreate(bucketKeys, charges.values(), settings, day);

    Map<String, RecordResult> seen = new HashMap<>();
    Map<FlowPlan, long[]> recorded = new EnumMap<>(FlowPlan.class);
    Map<ContributionKey, long[]> contributions = new LinkedHashMap<>();
    List<String> released = new ArrayList<>();
    List<KeyRow> withOverage = new ArrayList<>();
    long throttledRecords = 0;
    long throttledRequests = 0;
    List<List<RecordResult>> results = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      List<RecordResult> out = new ArrayList<>(p.records().size());
      for (int i = 0; i < p.records().size(); i++) {
        UsageRecord r = p.records().get(i);
        KeyRow before = existing.get(r.key());
        if (before != null) {
          out.add(
              new RecordResult(
                  r.key(),
                  RecordResult.Outcome.DUPLICATE,
                  names.bucketName(new BucketKey(before.bucketKind(), before.bucketId(), day)),
                  FlowPlan.valueOf(before.plan()),
                  before.overage(),
                  null));
          continue;
        }
        RecordResult earlier = seen.get(r.key());
        if (earlier != null) {
          out.add(
              earlier.outcome() == RecordResult.Outcome.THROTTLED
                  ? earlier
                  : new RecordResult(
                      r.key(),
                      RecordResult.Outcome.DUPLICATE,
                      earlier.bucket(),
                      earlier.plan(),
                      earlier.overage(),
                      null));
          continue;
        }
        Subject subject = p.subjects().get(i);
        Charge charge = charges.get(subject);
        State st = states.get(new BucketKey(charge.bucketKind(), charge.bucketId(), day));
        long n = r.requests();
        RecordResult result;
        long overage = 0;
        if (st.used + n <= st.limit || settings.overLimit() == OverLimitPolicy.RECORD_OVERAGE) {
          overage = st.used + n - Math.max(st.limit, st.used);
          overage = Math.max(0, Math.min(n, overage));
          st.used += n;
          st.overage += overage;
          result =
              new RecordResult(
                  r.key(),
                  RecordResult.Outcome.RECORDED,
                  charge.bucketName(),
                  charge.plan(),
                  overage,
                  null);
          if (overage > 0) {
            withOverage.add(
                new KeyRow(
                    r.key(),
                    now,
                    charge.bucketKind(),
                    charge.bucketId(),
                    charge.plan().name(),
                    n,
                    overage));
          }
          long[] c = recorded.computeIfAbsent(charge.plan(), k -> new long[2]);
          c[0]++;
          c[1] += n;
        } else {
          st.throttled += n;
          throttledRecords++;
          throttledRequests += n;
          result =
              new RecordResult(
                  r.key(),
                  RecordResult.Outcome.THROTTLED,
                  charge.bucketName(),
                  charge.plan(),
                  0,
                  reset);
          released.add(r.key());
        }
        ContributionKey ck = new ContributionKey(st.key, subject);
        long[] delta = contributions.computeIfAbsent(ck, k -> new long[3]);
        if (result.outcome() == RecordResult.Outcome.RECORDED) {
          delta[0] += n;
          delta[1] += overage;
        } else {
          delta[2] += n;
        }
        seen.put(r.key(), result);
        out.add(result);
      }
      results.add(out);
    }

    if (!released.isEmpty()) {
      repository.deleteKeys(released);
    }
    if (!withOverage.isEmpty()) {
      repository.updateKeyOverage(withOverage);
    }
    // The rows are locked by this transaction: write the new totals.
    List<BucketDay> deltas = new ArrayList<>();
    for (State st : states.values()) {
      deltas.add(new BucketDay(st.key, st.plan, st.limit, st.used, st.overage, st.throttled));
    }
    repository.updateBuckets(deltas);
    List<Contribution> cs = new ArrayList<>();
    contributions.forEach(
        (k, d) ->
            cs.add(
                new Contribution(
                    k.bucket(), k.source().kind().name(), k.source().id(), d[0], d[1], d[2])));
    repository.addContributions(cs);
    return new Written(results, recorded, throttledRecords, throttledRequests);
  }

  private Charge chargeOf(Subject s) {
    long version = charges.version();
    long now = System.nanoTime();
    CachedCharge cached = chargeCache.get(s);
    if (cached != null && cached.version() == version && now - cached.until() < 0) {
      return cached.charge();
    }
    Charge c =
        s.kind() == Charge.BucketKind.FLOW
            ? charges.charge(flows.requireById(s.id()))
            : charges.userCharge(licenses.requireUserById(s.id()));
    if (chargeCache.size() > 100_000) {
      chargeCache.clear();
    }
    chargeCache.put(s, new CachedCharge(c, version, now + CACHE_TTL_NANOS));
    return c;
  }

  /** Locks the bucket rows of the batch in key order, creating missing ones. */
  private Map<BucketKey, State> lockOrCreate(
      Set<BucketKey> keys,
      java.util.Collection<Charge> charges,
      TenantSettings settings,
      LocalDate day) {
    Map<BucketKey, Charge> chargeOf = new HashMap<>();
    for (Charge c : charges) {
      chargeOf.put(new BucketKey(c.bucketKind(), c.bucketId(), day), c);
    }
    Map<BucketKey, State> states = new TreeMap<>();
    if (keys.isEmpty()) {
      return states;
    }
    Map<BucketKey, BucketDay> rows = new HashMap<>(repository.lockBuckets(keys));
    List<BucketDay> missing = new ArrayList<>();
    for (BucketKey k : keys) {
      if (!rows.containsKey(k)) {
        Charge c = chargeOf.get(k);
        missing.add(
            new BucketDay(
                k, c.bucketPlan().name(), settings.effectiveLimit(c.baseLimit()), 0, 0, 0));
      }
    }
    if (!missing.isEmpty()) {
      boolean[] inserted = repository.insertBuckets(missing);
      List<BucketKey> raced = new ArrayList<>();
      for (int i = 0; i < missing.size(); i++) {
        if (inserted[i]) {
          rows.put(missing.get(i).key(), missing.get(i));
        } else {
          raced.add(missing.get(i).key());
        }
      }
      if (!raced.isEmpty()) {
        rows.putAll(repository.lockBuckets(raced));
      }
    }
    for (BucketKey k : keys) {
      Charge c = chargeOf.get(k);
      State st = new State(k, rows.get(k));
      st.limit = settings.effectiveLimit(c.baseLimit());
      st.plan = c.bucketPlan().name();
      states.put(k, st);
    }
    return states;
  }

  private void pruneQuietly() {
    try {
      pruneKeysNow();
    } catch (RuntimeException e) {
      // retried at the next prune time
    }
  }

  /** M4: prunes keys older than {@link #KEY_RETENTION} now (also done hourly once started). */
  public int pruneKeysNow() {
    Instant now = clock.instant();
    return tx.inTransaction(() -> repository.pruneKeys(now.minus(KEY_RETENTION)));
  }

  @Override
  public void close() {
    pruner.shutdownNow();
    writer.close();
  }
}
