package dev.botfleet.orchestrator.admin;

public interface TenantRepository {
  TenantSettings get();

  /** Reads the settings and locks the tenant row until the transaction ends. */
  TenantSettings getForUpdate();

  void update(TenantSettings settings);
}
