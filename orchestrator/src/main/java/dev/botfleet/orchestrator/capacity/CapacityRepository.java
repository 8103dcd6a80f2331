package dev.botfleet.orchestrator.capacity;

import java.util.List;
import java.util.Optional;

public interface CapacityRepository {
  /** Locks the SKU's row until the transaction ends: serialises C2 checks across replicas. */
  void lockSku(Sku sku);

  /** False when the idempotency key was already used. */
  boolean insertPurchase(Purchase purchase);

  Optional<Purchase> findPurchase(String id, boolean forUpdate);

  Optional<Purchase> findPurchaseByKey(String idempotencyKey);

  List<Purchase> listPurchases();

  void updatePurchaseEnd(String id, java.time.Instant endsAt, boolean extended);

  List<Allocation> listAllocations();

  List<Allocation> listAllocations(Sku sku);

  Optional<Allocation> findAllocation(String environmentId, Sku sku, boolean forUpdate);

  void saveAllocation(Allocation allocation, java.time.Instant now);

  /** False when the app was already shared with the user there. */
  boolean insertAppShare(AppShare share);

  boolean deleteAppShare(String environmentId, String app, String user);

  List<AppShare> listAppShares(String environmentId);

  java.util.Map<String, Long> countAppSharesByEnvironment();

  long countAppShares(String environmentId);
}
