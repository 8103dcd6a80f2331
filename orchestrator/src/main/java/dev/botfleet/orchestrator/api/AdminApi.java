package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.admin.AuditPage;
import dev.botfleet.orchestrator.admin.CapacityAllocationMode;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.admin.TenantService;
import dev.botfleet.orchestrator.admin.TenantSettings;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.principals.PrincipalService;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CreatePrincipalRequest;
import dev.botfleet.proto.v1.CreatePrincipalResponse;
import dev.botfleet.proto.v1.GetTenantSettingsRequest;
import dev.botfleet.proto.v1.GetTenantSettingsResponse;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.ListAuditEventsResponse;
import dev.botfleet.proto.v1.ListPrincipalsRequest;
import dev.botfleet.proto.v1.ListPrincipalsResponse;
import dev.botfleet.proto.v1.RevokePrincipalRequest;
import dev.botfleet.proto.v1.RevokePrincipalResponse;
import dev.botfleet.proto.v1.RotatePrincipalTokenRequest;
import dev.botfleet.proto.v1.RotatePrincipalTokenResponse;
import dev.botfleet.proto.v1.UpdateTenantSettingsRequest;
import dev.botfleet.proto.v1.UpdateTenantSettingsResponse;
import dev.botfleet.proto.v1.WhoAmIRequest;
import dev.botfleet.proto.v1.WhoAmIResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;

public final class AdminApi extends AdminServiceGrpc.AdminServiceImplBase {
  private final PrincipalService principals;
  private final TenantService tenant;
  private final EnvironmentService environments;

  private final Idempotency idempotency;

  public AdminApi(
      PrincipalService principals,
      TenantService tenant,
      EnvironmentService environments,
      Idempotency idempotency) {
    this.idempotency = idempotency;
    this.principals = principals;
    this.tenant = tenant;
    this.environments = environments;
  }

  @Override
  public void createPrincipal(
      CreatePrincipalRequest req, StreamObserver<CreatePrincipalResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                CreatePrincipalResponse.parser(),
                Idempotency.REMEMBER_SECRET,
                () -> {
                  Role role = ProtoEnums.ROLE.domainOrNull(req.getRole());
                  if (role == null) {
                    throw dev.botfleet.common.BotfleetException.invalid(
                        ErrorReason.PRINCIPAL_ROLE_REQUIRED,
                        "role: missing (expected: GLOBAL_ADMIN, SERVICE_ADMIN, DELEGATED_ADMIN, ENVIRONMENT_ADMIN or MAKER)");
                  }
                  var envs = new java.util.ArrayList<String>();
                  envs.add(req.getEnvironment());
                  envs.addAll(req.getEnvironmentsList());
                  var created =
                      principals.create(
                          caller(),
                          req.getName(),
                          role,
                          envs,
                          ProtoMapping.duration(req.getExpiresIn()));
                  return CreatePrincipalResponse.newBuilder()
                      .setPrincipal(ProtoMapping.principal(created.principal(), environments))
                      .setToken(created.token())
                      .build();
                }));
  }

  @Override
  public void revokePrincipal(
      RevokePrincipalRequest req, StreamObserver<RevokePrincipalResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                RevokePrincipalResponse.parser(),
                () -> {
                  var r = principals.revoke(caller(), req.getName());
                  return RevokePrincipalResponse.newBuilder()
                      .setPrincipal(ProtoMapping.principal(r.principal(), environments))
                      .setRevokedNow(r.revokedNow())
                      .build();
                }));
  }

  @Override
  public void rotatePrincipalToken(
      RotatePrincipalTokenRequest req, StreamObserver<RotatePrincipalTokenResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                RotatePrincipalTokenResponse.parser(),
                Idempotency.REMEMBER_SECRET,
                () -> {
                  var r =
                      principals.rotate(
                          caller(),
                          req.getName(),
                          ProtoMapping.duration(req.getGrace()),
                          ProtoMapping.duration(req.getExpiresIn()));
                  var b =
                      RotatePrincipalTokenResponse.newBuilder()
                          .setPrincipal(ProtoMapping.principal(r.principal(), environments))
                          .setToken(r.token());
                  if (r.previousValidUntil() != null) {
                    b.setPreviousTokenValidUntil(ProtoMapping.ts(r.previousValidUntil()));
                  }
                  return b.build();
                }));
  }

  @Override
  public void listPrincipals(
      ListPrincipalsRequest req, StreamObserver<ListPrincipalsResponse> out) {
    Unary.respond(
        out,
        () -> {
          var all =
              principals.list(caller()).stream()
                  .map(p -> ProtoMapping.principal(p, environments))
                  .toList();
          var page =
              Paging.page(
                  all,
                  dev.botfleet.proto.v1.Principal::getName,
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListPrincipals",
                  List.of());
          return ListPrincipalsResponse.newBuilder()
              .addAllPrincipals(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  @Override
  public void whoAmI(WhoAmIRequest req, StreamObserver<WhoAmIResponse> out) {
    Unary.respond(
        out,
        () ->
            WhoAmIResponse.newBuilder()
                .setPrincipal(ProtoMapping.principal(caller(), environments))
                .build());
  }

  @Override
  public void getTenantSettings(
      GetTenantSettingsRequest req, StreamObserver<GetTenantSettingsResponse> out) {
    Unary.respond(
        out,
        () -> {
          Scopes.tenantWide("tenant settings");
          return GetTenantSettingsResponse.newBuilder()
              .setSettings(settings(tenant.settings()))
              .build();
        });
  }

  @Override
  public void updateTenantSettings(
      UpdateTenantSettingsRequest req, StreamObserver<UpdateTenantSettingsResponse> out) {
    Unary.respond(
        out,
        () -> {
          CapacityAllocationMode mode =
              ProtoEnums.CAPACITY_ALLOCATION_MODE.domainOrNull(req.getCapacityAllocation());
          var change =
              new TenantService.Change(
                  mode,
                  req.hasGovernmentCloud() ? req.getGovernmentCloud() : null,
                  ProtoEnums.OVER_LIMIT_POLICY.domainOrNull(req.getOverLimit()),
                  req.hasLimitMultiplier() ? req.getLimitMultiplier() : null,
                  req.hasMeteringDayOffsetMinutes() ? req.getMeteringDayOffsetMinutes() : null);
          return UpdateTenantSettingsResponse.newBuilder()
              .setSettings(settings(tenant.update(caller(), change)))
              .build();
        });
  }

  @Override
  public void listAuditEvents(
      ListAuditEventsRequest req, StreamObserver<ListAuditEventsResponse> out) {
    Unary.respond(
        out,
        () -> {
          int size = Paging.size(req.getPageSize());
          List<String> filter = List.of(req.getActionPrefix());
          List<String> key = Paging.decode(req.getPageToken(), "ListAuditEvents", filter, 1);
          AuditPage page =
              tenant.auditEvents(
                  caller(),
                  req.getActionPrefix(),
                  key == null ? null : Paging.number(key.get(0)),
                  size);
          var b = ListAuditEventsResponse.newBuilder();
          page.events().forEach(e -> b.addEvents(ProtoMapping.audit(e)));
          if (page.nextBeforeId() != null) {
            b.setNextPageToken(
                Paging.encode(
                    "ListAuditEvents", filter, List.of(Long.toString(page.nextBeforeId()))));
          }
          return b.build();
        });
  }

  static dev.botfleet.proto.v1.TenantSettings settings(TenantSettings s) {
    return dev.botfleet.proto.v1.TenantSettings.newBuilder()
        .setCapacityAllocation(ProtoEnums.CAPACITY_ALLOCATION_MODE.proto(s.capacityAllocation()))
        .setGovernmentCloud(s.governmentCloud())
        .setOverLimit(ProtoEnums.OVER_LIMIT_POLICY.proto(s.overLimit()))
        .setLimitMultiplier(s.limitMultiplier())
        .setMeteringDayOffsetMinutes(s.meteringDayOffsetMinutes())
        .build();
  }
}
