package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.admin.CapacityAllocationMode;
import dev.botfleet.orchestrator.admin.OverLimitPolicy;
import dev.botfleet.orchestrator.admin.TenantRepository;
import dev.botfleet.orchestrator.admin.TenantSettings;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;

public final class JdbcTenantRepository implements TenantRepository {
  private final Jdbc jdbc;
  private final Clock clock;

  public JdbcTenantRepository(Jdbc jdbc, Clock clock) {
    this.jdbc = jdbc;
    this.clock = clock;
  }

  @Override
  public TenantSettings get() {
    return jdbc.queryOne("SELECT * FROM tenant WHERE id = 1", JdbcTenantRepository::map)
        .orElseThrow();
  }

  @Override
  public TenantSettings getForUpdate() {
    return jdbc.queryOne("SELECT * FROM tenant WHERE id = 1 FOR UPDATE", JdbcTenantRepository::map)
        .orElseThrow();
  }

  @Override
  public void update(TenantSettings settings) {
    jdbc.update(
        "UPDATE tenant SET capacity_allocation = ?, government_cloud = ?, over_limit_policy = ?,"
            + " limit_multiplier = ?, metering_day_offset_minutes = ?, updated_at = ? WHERE id = 1",
        settings.capacityAllocation(),
        settings.governmentCloud(),
        settings.overLimit(),
        settings.limitMultiplier(),
        settings.meteringDayOffsetMinutes(),
        clock.instant());
  }

  private static TenantSettings map(ResultSet rs) throws SQLException {
    return new TenantSettings(
        CapacityAllocationMode.valueOf(rs.getString("capacity_allocation")),
        rs.getBoolean("government_cloud"),
        OverLimitPolicy.valueOf(rs.getString("over_limit_policy")),
        rs.getDouble("limit_multiplier"),
        rs.getInt("metering_day_offset_minutes"));
  }
}
