package dev.botfleet.orchestrator.licensing;

/**
 * The rows of the [003] entitlement matrix (L2), exactly as the document lists them; the "Applied
 * to" row is {@link EntitlementSource#appliesTo()}. Each row states the unit of the quantity an
 * {@link Entitlement} carries for it.
 */
public enum Capability {
  DAILY_PPR("Daily PPR limit", Unit.REQUESTS_PER_DAY),
  STANDARD_CONNECTORS("Standard connectors", Unit.NONE),
  PREMIUM_CONNECTORS("Premium connectors", Unit.NONE),
  CUSTOM_CONNECTORS("Custom connectors", Unit.NONE),
  ATTENDED_RPA("Attended RPA", Unit.BOTS),
  UNATTENDED_RPA("Unattended RPA", Unit.BOTS),
  HOSTED_RPA("Hosted RPA", Unit.BOTS),
  BUSINESS_PROCESS_FLOWS("Business process flows", Unit.NONE),
  ON_PREMISES_GATEWAYS("On-premises gateways", Unit.NONE),
  PROCESS_MINING("Process mining", Unit.NONE),
  PROCESS_MINING_DATA_STORAGE("Process mining data storage", Unit.MEGABYTES),
  AI_BUILDER_CREDITS("AI Builder credits", Unit.CREDITS),
  DATAVERSE_DATABASE_STORAGE("Dataverse database storage", Unit.MEGABYTES),
  DATAVERSE_FILE_STORAGE("Dataverse file storage", Unit.MEGABYTES);

  /** The unit of {@link Entitlement#quantity()} in this row. */
  public enum Unit {
    /** The row is a yes/no right; quantities are always 0. */
    NONE,
    /** Power Platform Requests per day (M2 day). */
    REQUESTS_PER_DAY,
    /** Bots (one run at a time each). */
    BOTS,
    /** AI Builder credits. */
    CREDITS,
    /** Megabytes (1 GB = 1024 MB). */
    MEGABYTES
  }

  private final String label;
  private final Unit unit;

  Capability(String label, Unit unit) {
    this.label = label;
    this.unit = unit;
  }

  /** The row name as [003] prints it. */
  public String label() {
    return label;
  }

  public Unit unit() {
    return unit;
  }
}
