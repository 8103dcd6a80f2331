package dev.botfleet.orchestrator.capacity;

import java.util.Map;

/**
 * Something that consumes allocated capacity in an environment (C3): app shares consume APP_PASS,
 * bots and process flows consume the process pool, hosted machines consume HOSTED_PROCESS. Each
 * area registers one; capacity rules and the summary ask all of them.
 *
 * <p>Implementations are called inside the capacity transaction, after the SKU rows are locked, so
 * their answer cannot change before the transaction commits as long as every consumer takes the
 * same locks ({@link Sku#lockSet()}) before consuming.
 */
public interface ConsumptionSource {
  /** Units consumed per SKU in one environment. Pool consumption is reported as PROCESS (P1). */
  Map<Sku, Long> consumedIn(String environmentId);

  /** Units consumed per environment id and SKU, for the summary. */
  Map<String, Map<Sku, Long>> consumedByEnvironment();

  /** What consumes capacity, in words, for refusals ("3 bots on machines m1, m2"). */
  String describe(String environmentId, Sku sku);
}
