package dev.botfleet.orchestrator.api;

/**
 * Every {@code botfleet.v1} enum and the domain enum it stands for, pair by pair (issue 8, AIP-126:
 * wire values carry their type's prefix, domain values do not). Written out on purpose: a rename on
 * either side must be a visible change here, never a silent change on the wire.
 */
final class ProtoEnums {
  private ProtoEnums() {}

  static final EnumTable<dev.botfleet.orchestrator.runs.RunState, dev.botfleet.proto.v1.RunState>
      RUN_STATE =
          EnumTable.of(
                  dev.botfleet.orchestrator.runs.RunState.class,
                  dev.botfleet.proto.v1.RunState.class,
                  "state")
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.QUEUED,
                  dev.botfleet.proto.v1.RunState.RUN_STATE_QUEUED)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.ASSIGNED,
                  dev.botfleet.proto.v1.RunState.RUN_STATE_ASSIGNED)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.RUNNING,
                  dev.botfleet.proto.v1.RunState.RUN_STATE_RUNNING)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.SUCCEEDED,
                  dev.botfleet.proto.v1.RunState.RUN_STATE_SUCCEEDED)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.FAILED,
                  dev.botfleet.proto.v1.RunState.RUN_STATE_FAILED)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.CANCELLED,
                  dev.botfleet.proto.v1.RunState.RUN_STATE_CANCELLED)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.TIMED_OUT,
                  dev.botfleet.proto.v1.RunState.RUN_STATE_TIMED_OUT)
              .build();

  static final EnumTable<dev.botfleet.orchestrator.runs.RunState, dev.botfleet.proto.v1.RunOutcome>
      RUN_OUTCOME =
          EnumTable.of(
                  dev.botfleet.orchestrator.runs.RunState.class,
                  dev.botfleet.proto.v1.RunOutcome.class,
                  "outcome")
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.SUCCEEDED,
                  dev.botfleet.proto.v1.RunOutcome.RUN_OUTCOME_SUCCEEDED)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.FAILED,
                  dev.botfleet.proto.v1.RunOutcome.RUN_OUTCOME_FAILED)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.TIMED_OUT,
                  dev.botfleet.proto.v1.RunOutcome.RUN_OUTCOME_TIMED_OUT)
              .pair(
                  dev.botfleet.orchestrator.runs.RunState.CANCELLED,
                  dev.botfleet.proto.v1.RunOutcome.RUN_OUTCOME_CANCELLED)
              .build();

  static final EnumTable<dev.botfleet.orchestrator.runs.Priority, dev.botfleet.proto.v1.Priority>
      PRIORITY =
          EnumTable.of(
                  dev.botfleet.orchestrator.runs.Priority.class,
                  dev.botfleet.proto.v1.Priority.class,
                  "priority")
              .pair(
                  dev.botfleet.orchestrator.runs.Priority.LOW,
                  dev.botfleet.proto.v1.Priority.PRIORITY_LOW)
              .pair(
                  dev.botfleet.orchestrator.runs.Priority.NORMAL,
                  dev.botfleet.proto.v1.Priority.PRIORITY_NORMAL)
              .pair(
                  dev.botfleet.orchestrator.runs.Priority.HIGH,
                  dev.botfleet.proto.v1.Priority.PRIORITY_HIGH)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.machines.MachineStatus, dev.botfleet.proto.v1.MachineStatus>
      MACHINE_STATUS =
          EnumTable.of(
                  dev.botfleet.orchestrator.machines.MachineStatus.class,
                  dev.botfleet.proto.v1.MachineStatus.class,
                  "status")
              .pair(
                  dev.botfleet.orchestrator.machines.MachineStatus.ONLINE,
                  dev.botfleet.proto.v1.MachineStatus.MACHINE_STATUS_ONLINE)
              .pair(
                  dev.botfleet.orchestrator.machines.MachineStatus.OFFLINE,
                  dev.botfleet.proto.v1.MachineStatus.MACHINE_STATUS_OFFLINE)
              .pair(
                  dev.botfleet.orchestrator.machines.MachineStatus.REMOVED,
                  dev.botfleet.proto.v1.MachineStatus.MACHINE_STATUS_REMOVED)
              .build();

  static final EnumTable<dev.botfleet.orchestrator.capacity.Sku, dev.botfleet.proto.v1.Sku> SKU =
      EnumTable.of(
              dev.botfleet.orchestrator.capacity.Sku.class, dev.botfleet.proto.v1.Sku.class, "sku")
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.PROCESS, dev.botfleet.proto.v1.Sku.SKU_PROCESS)
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.UNATTENDED_RPA,
              dev.botfleet.proto.v1.Sku.SKU_UNATTENDED_RPA)
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.HOSTED_PROCESS,
              dev.botfleet.proto.v1.Sku.SKU_HOSTED_PROCESS)
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.PER_FLOW,
              dev.botfleet.proto.v1.Sku.SKU_PER_FLOW)
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.APP_PASS,
              dev.botfleet.proto.v1.Sku.SKU_APP_PASS)
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.AI_BUILDER_CREDITS,
              dev.botfleet.proto.v1.Sku.SKU_AI_BUILDER_CREDITS)
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.PORTAL_LOGINS,
              dev.botfleet.proto.v1.Sku.SKU_PORTAL_LOGINS)
          .pair(
              dev.botfleet.orchestrator.capacity.Sku.PORTAL_VIEWS,
              dev.botfleet.proto.v1.Sku.SKU_PORTAL_VIEWS)
          .build();

  static final EnumTable<
          dev.botfleet.orchestrator.environments.EnvironmentType,
          dev.botfleet.proto.v1.EnvironmentType>
      ENVIRONMENT_TYPE =
          EnumTable.of(
                  dev.botfleet.orchestrator.environments.EnvironmentType.class,
                  dev.botfleet.proto.v1.EnvironmentType.class,
                  "type")
              .pair(
                  dev.botfleet.orchestrator.environments.EnvironmentType.DEFAULT,
                  dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_DEFAULT)
              .pair(
                  dev.botfleet.orchestrator.environments.EnvironmentType.PRODUCTION,
                  dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
              .pair(
                  dev.botfleet.orchestrator.environments.EnvironmentType.SANDBOX,
                  dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_SANDBOX)
              .pair(
                  dev.botfleet.orchestrator.environments.EnvironmentType.TRIAL,
                  dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_TRIAL)
              .pair(
                  dev.botfleet.orchestrator.environments.EnvironmentType.DEVELOPER,
                  dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_DEVELOPER)
              .pair(
                  dev.botfleet.orchestrator.environments.EnvironmentType.TEAMS,
                  dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_TEAMS)
              .build();

  static final EnumTable<dev.botfleet.orchestrator.admin.Role, dev.botfleet.proto.v1.Role> ROLE =
      EnumTable.of(
              dev.botfleet.orchestrator.admin.Role.class, dev.botfleet.proto.v1.Role.class, "role")
          .pair(
              dev.botfleet.orchestrator.admin.Role.GLOBAL_ADMIN,
              dev.botfleet.proto.v1.Role.ROLE_GLOBAL_ADMIN)
          .pair(
              dev.botfleet.orchestrator.admin.Role.SERVICE_ADMIN,
              dev.botfleet.proto.v1.Role.ROLE_SERVICE_ADMIN)
          .pair(
              dev.botfleet.orchestrator.admin.Role.DELEGATED_ADMIN,
              dev.botfleet.proto.v1.Role.ROLE_DELEGATED_ADMIN)
          .pair(
              dev.botfleet.orchestrator.admin.Role.ENVIRONMENT_ADMIN,
              dev.botfleet.proto.v1.Role.ROLE_ENVIRONMENT_ADMIN)
          .pair(dev.botfleet.orchestrator.admin.Role.MAKER, dev.botfleet.proto.v1.Role.ROLE_MAKER)
          .build();

  static final EnumTable<
          dev.botfleet.orchestrator.admin.CapacityAllocationMode,
          dev.botfleet.proto.v1.CapacityAllocationMode>
      CAPACITY_ALLOCATION_MODE =
          EnumTable.of(
                  dev.botfleet.orchestrator.admin.CapacityAllocationMode.class,
                  dev.botfleet.proto.v1.CapacityAllocationMode.class,
                  "capacity_allocation")
              .pair(
                  dev.botfleet.orchestrator.admin.CapacityAllocationMode.EVERYONE,
                  dev.botfleet.proto.v1.CapacityAllocationMode.CAPACITY_ALLOCATION_MODE_EVERYONE)
              .pair(
                  dev.botfleet.orchestrator.admin.CapacityAllocationMode.ONLY_SPECIFIC_ADMINS,
                  dev.botfleet.proto.v1.CapacityAllocationMode
                      .CAPACITY_ALLOCATION_MODE_ONLY_SPECIFIC_ADMINS)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.admin.OverLimitPolicy, dev.botfleet.proto.v1.OverLimitPolicy>
      OVER_LIMIT_POLICY =
          EnumTable.of(
                  dev.botfleet.orchestrator.admin.OverLimitPolicy.class,
                  dev.botfleet.proto.v1.OverLimitPolicy.class,
                  "over_limit")
              .pair(
                  dev.botfleet.orchestrator.admin.OverLimitPolicy.THROTTLE,
                  dev.botfleet.proto.v1.OverLimitPolicy.OVER_LIMIT_POLICY_THROTTLE)
              .pair(
                  dev.botfleet.orchestrator.admin.OverLimitPolicy.RECORD_OVERAGE,
                  dev.botfleet.proto.v1.OverLimitPolicy.OVER_LIMIT_POLICY_RECORD_OVERAGE)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.licensing.LicenseType, dev.botfleet.proto.v1.LicenseType>
      LICENSE_TYPE =
          EnumTable.of(
                  dev.botfleet.orchestrator.licensing.LicenseType.class,
                  dev.botfleet.proto.v1.LicenseType.class,
                  "type")
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.FREE,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_FREE)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.TRIAL,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_TRIAL)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.PREMIUM,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_PREMIUM)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.PER_USER,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_PER_USER)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.P1,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_P1)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.P2,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_P2)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.DEVELOPER,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_DEVELOPER)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.POWER_APPS_PREMIUM,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_POWER_APPS_PREMIUM)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.M365,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_M365)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.D365_PROFESSIONAL,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_D365_PROFESSIONAL)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.D365_ENTERPRISE,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_D365_ENTERPRISE)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.D365_TEAM_MEMBER,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_D365_TEAM_MEMBER)
              .pair(
                  dev.botfleet.orchestrator.licensing.LicenseType.WINDOWS,
                  dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_WINDOWS)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.users.LicenseSource, dev.botfleet.proto.v1.LicenseSource>
      LICENSE_SOURCE =
          EnumTable.of(
                  dev.botfleet.orchestrator.users.LicenseSource.class,
                  dev.botfleet.proto.v1.LicenseSource.class,
                  "source")
              .pair(
                  dev.botfleet.orchestrator.users.LicenseSource.ASSIGNED,
                  dev.botfleet.proto.v1.LicenseSource.LICENSE_SOURCE_ASSIGNED)
              .pair(
                  dev.botfleet.orchestrator.users.LicenseSource.SELF_SERVICE_TRIAL,
                  dev.botfleet.proto.v1.LicenseSource.LICENSE_SOURCE_SELF_SERVICE_TRIAL)
              .pair(
                  dev.botfleet.orchestrator.users.LicenseSource.ADMIN_TRIAL,
                  dev.botfleet.proto.v1.LicenseSource.LICENSE_SOURCE_ADMIN_TRIAL)
              .pair(
                  dev.botfleet.orchestrator.users.LicenseSource.SEEDED,
                  dev.botfleet.proto.v1.LicenseSource.LICENSE_SOURCE_SEEDED)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.licensing.Action, dev.botfleet.proto.v1.EntitlementAction>
      ENTITLEMENT_ACTION =
          EnumTable.of(
                  dev.botfleet.orchestrator.licensing.Action.class,
                  dev.botfleet.proto.v1.EntitlementAction.class,
                  "action")
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.CREATE_FLOW,
                  dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_CREATE_FLOW)
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.RUN_FLOW,
                  dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_RUN_FLOW)
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.SHARE_FLOW,
                  dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_SHARE_FLOW)
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.USE_CONNECTOR,
                  dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_USE_CONNECTOR)
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.CREATE_DESKTOP_FLOW,
                  dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_CREATE_DESKTOP_FLOW)
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.RUN_ATTENDED,
                  dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_RUN_ATTENDED)
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.RUN_UNATTENDED,
                  dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_RUN_UNATTENDED)
              .pair(
                  dev.botfleet.orchestrator.licensing.Action.CREATE_BUSINESS_PROCESS_FLOW,
                  dev.botfleet.proto.v1.EntitlementAction
                      .ENTITLEMENT_ACTION_CREATE_BUSINESS_PROCESS_FLOW)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.licensing.ConnectorTier, dev.botfleet.proto.v1.ConnectorTier>
      CONNECTOR_TIER =
          EnumTable.of(
                  dev.botfleet.orchestrator.licensing.ConnectorTier.class,
                  dev.botfleet.proto.v1.ConnectorTier.class,
                  "connector_tier")
              .pair(
                  dev.botfleet.orchestrator.licensing.ConnectorTier.STANDARD,
                  dev.botfleet.proto.v1.ConnectorTier.CONNECTOR_TIER_STANDARD)
              .pair(
                  dev.botfleet.orchestrator.licensing.ConnectorTier.PREMIUM,
                  dev.botfleet.proto.v1.ConnectorTier.CONNECTOR_TIER_PREMIUM)
              .pair(
                  dev.botfleet.orchestrator.licensing.ConnectorTier.CUSTOM,
                  dev.botfleet.proto.v1.ConnectorTier.CONNECTOR_TIER_CUSTOM)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.licensing.FlowPlan, dev.botfleet.proto.v1.FlowPlan>
      FLOW_PLAN =
          EnumTable.of(
                  dev.botfleet.orchestrator.licensing.FlowPlan.class,
                  dev.botfleet.proto.v1.FlowPlan.class,
                  "plan")
              .pair(
                  dev.botfleet.orchestrator.licensing.FlowPlan.PROCESS,
                  dev.botfleet.proto.v1.FlowPlan.FLOW_PLAN_PROCESS)
              .pair(
                  dev.botfleet.orchestrator.licensing.FlowPlan.ASSOCIATED_TO_PROCESS,
                  dev.botfleet.proto.v1.FlowPlan.FLOW_PLAN_ASSOCIATED_TO_PROCESS)
              .pair(
                  dev.botfleet.orchestrator.licensing.FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                  dev.botfleet.proto.v1.FlowPlan.FLOW_PLAN_PROCESS_INHERITED_FROM_MACHINE)
              .pair(
                  dev.botfleet.orchestrator.licensing.FlowPlan.PER_FLOW,
                  dev.botfleet.proto.v1.FlowPlan.FLOW_PLAN_PER_FLOW)
              .pair(
                  dev.botfleet.orchestrator.licensing.FlowPlan.OWNER_LICENSES,
                  dev.botfleet.proto.v1.FlowPlan.FLOW_PLAN_OWNER_LICENSES)
              .build();

  static final EnumTable<
          dev.botfleet.orchestrator.metering.RecordResult.Outcome,
          dev.botfleet.proto.v1.RecordOutcome>
      RECORD_OUTCOME =
          EnumTable.of(
                  dev.botfleet.orchestrator.metering.RecordResult.Outcome.class,
                  dev.botfleet.proto.v1.RecordOutcome.class,
                  "outcome")
              .pair(
                  dev.botfleet.orchestrator.metering.RecordResult.Outcome.RECORDED,
                  dev.botfleet.proto.v1.RecordOutcome.RECORD_OUTCOME_RECORDED)
              .pair(
                  dev.botfleet.orchestrator.metering.RecordResult.Outcome.DUPLICATE,
                  dev.botfleet.proto.v1.RecordOutcome.RECORD_OUTCOME_DUPLICATE)
              .pair(
                  dev.botfleet.orchestrator.metering.RecordResult.Outcome.THROTTLED,
                  dev.botfleet.proto.v1.RecordOutcome.RECORD_OUTCOME_THROTTLED)
              .build();
}
