package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.orchestrator.flows.CloudFlows;
import dev.botfleet.orchestrator.users.LicenseService;
import dev.botfleet.proto.v1.AssignLicenseRequest;
import dev.botfleet.proto.v1.AssignLicenseResponse;
import dev.botfleet.proto.v1.CheckEntitlementRequest;
import dev.botfleet.proto.v1.CheckEntitlementResponse;
import dev.botfleet.proto.v1.CreateUserRequest;
import dev.botfleet.proto.v1.CreateUserResponse;
import dev.botfleet.proto.v1.ExtendLicenseTrialRequest;
import dev.botfleet.proto.v1.ExtendLicenseTrialResponse;
import dev.botfleet.proto.v1.LicensingServiceGrpc;
import dev.botfleet.proto.v1.ListLicensesRequest;
import dev.botfleet.proto.v1.ListLicensesResponse;
import dev.botfleet.proto.v1.ListSelfServiceTrialsRequest;
import dev.botfleet.proto.v1.ListSelfServiceTrialsResponse;
import dev.botfleet.proto.v1.ListUsersRequest;
import dev.botfleet.proto.v1.ListUsersResponse;
import dev.botfleet.proto.v1.RemoveLicenseRequest;
import dev.botfleet.proto.v1.RemoveLicenseResponse;
import dev.botfleet.proto.v1.SelfServiceTrial;
import dev.botfleet.proto.v1.SetSelfServiceTrialsRequest;
import dev.botfleet.proto.v1.SetSelfServiceTrialsResponse;
import dev.botfleet.proto.v1.StartTrialRequest;
import dev.botfleet.proto.v1.StartTrialResponse;
import dev.botfleet.proto.v1.User;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;

public final class LicensingApi extends LicensingServiceGrpc.LicensingServiceImplBase {
  private final LicenseService licenses;
  private final CloudFlows flows;
  private final Clock clock;

  private final Idempotency idempotency;

  private final Scopes scopes;

  public LicensingApi(
      LicenseService licenses,
      CloudFlows flows,
      Clock clock,
      Idempotency idempotency,
      dev.botfleet.orchestrator.environments.EnvironmentService environments) {
    this.idempotency = idempotency;
    this.scopes = new Scopes(environments);
    this.licenses = licenses;
    this.flows = flows;
    this.clock = clock;
  }

  private static User user(LicenseService.UserView v) {
    var b =
        User.newBuilder()
            .setId(v.user().id())
            .setName(v.user().name())
            .setCreatedAt(ProtoMapping.ts(v.user().createdAt()))
            .setDailyRequestLimit(v.dailyRequestLimit());
    v.active().forEach(t -> b.addLicenses(LicensingMapping.licenseType(t)));
    return b.build();
  }

  @Override
  public void createUser(CreateUserRequest req, StreamObserver<CreateUserResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                CreateUserResponse.parser(),
                () ->
                    CreateUserResponse.newBuilder()
                        .setUser(
                            user(
                                licenses.createUser(
                                    caller(), req.getName(), !req.getWithoutFree())))
                        .build()));
  }

  @Override
  public void listUsers(ListUsersRequest req, StreamObserver<ListUsersResponse> out) {
    Unary.respond(
        out,
        () -> {
          // Users and their licenses are tenant-wide, not per environment (issue 12 §2).
          Scopes.tenantWide("users");
          var page =
              Paging.page(
                  licenses.listUsers().stream().map(LicensingApi::user).toList(),
                  dev.botfleet.proto.v1.User::getName,
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListUsers",
                  List.of());
          return ListUsersResponse.newBuilder()
              .addAllUsers(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  @Override
  public void assignLicense(AssignLicenseRequest req, StreamObserver<AssignLicenseResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                AssignLicenseResponse.parser(),
                () -> {
                  var l =
                      licenses.assign(
                          caller(),
                          req.getUser(),
                          LicensingMapping.requireLicenseType(req.getType()),
                          req.hasEndsAt() ? ProtoMapping.instant(req.getEndsAt()) : null,
                          req.getAdminTrial());
                  return AssignLicenseResponse.newBuilder()
                      .setLicense(LicensingMapping.license(l, req.getUser(), clock.instant()))
                      .build();
                }));
  }

  @Override
  public void listLicenses(ListLicensesRequest req, StreamObserver<ListLicensesResponse> out) {
    Unary.respond(
        out,
        () -> {
          Scopes.tenantWide("licenses");
          var l = licenses.licenses(req.getUser());
          var b = ListLicensesResponse.newBuilder().setDailyRequestLimit(l.dailyRequestLimit());
          var now = clock.instant();
          var page =
              Paging.page(
                  l.licenses().stream()
                      .map(x -> LicensingMapping.license(x, l.user().name(), now))
                      .toList(),
                  x -> Paging.tuple(x.getType().name(), x.getId()),
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListLicenses",
                  List.of(req.getUser()));
          return b.addAllLicenses(page.items()).setNextPageToken(page.nextPageToken()).build();
        });
  }

  @Override
  public void removeLicense(RemoveLicenseRequest req, StreamObserver<RemoveLicenseResponse> out) {
    Unary.respond(
        out,
        () ->
            RemoveLicenseResponse.newBuilder()
                .setRemoved(
                    licenses.remove(
                        caller(),
                        req.getUser(),
                        LicensingMapping.requireLicenseType(req.getType())))
                .build());
  }

  @Override
  public void extendLicenseTrial(
      ExtendLicenseTrialRequest req, StreamObserver<ExtendLicenseTrialResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                ExtendLicenseTrialResponse.parser(),
                () -> {
                  var l =
                      licenses.extendTrial(
                          caller(),
                          req.getUser(),
                          LicensingMapping.requireLicenseType(req.getType()));
                  return ExtendLicenseTrialResponse.newBuilder()
                      .setLicense(LicensingMapping.license(l, req.getUser(), clock.instant()))
                      .build();
                }));
  }

  @Override
  public void startTrial(StartTrialRequest req, StreamObserver<StartTrialResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                StartTrialResponse.parser(),
                () -> {
                  var l =
                      licenses.startTrial(
                          caller(), req.getUser(), LicensingMapping.licenseType(req.getType()));
                  return StartTrialResponse.newBuilder()
                      .setLicense(LicensingMapping.license(l, req.getUser(), clock.instant()))
                      .build();
                }));
  }

  private static SelfServiceTrial trial(LicenseService.TrialSetting s) {
    return SelfServiceTrial.newBuilder()
        .setType(LicensingMapping.licenseType(s.type()))
        .setEnabled(s.enabled())
        .setDays(s.days())
        .build();
  }

  @Override
  public void setSelfServiceTrials(
      SetSelfServiceTrialsRequest req, StreamObserver<SetSelfServiceTrialsResponse> out) {
    Unary.respond(
        out,
        () -> {
          var c =
              licenses.setSelfServiceTrials(
                  caller(), LicensingMapping.requireLicenseType(req.getType()), req.getEnabled());
          return SetSelfServiceTrialsResponse.newBuilder()
              .setTrial(trial(c.setting()))
              .addAllRemovedFrom(c.removedFrom())
              .build();
        });
  }

  @Override
  public void listSelfServiceTrials(
      ListSelfServiceTrialsRequest req, StreamObserver<ListSelfServiceTrialsResponse> out) {
    Unary.respond(
        out,
        () -> {
          Scopes.tenantWide("self-service trial settings");
          var s = licenses.selfServiceTrials();
          var b =
              ListSelfServiceTrialsResponse.newBuilder().setGovernmentCloud(s.governmentCloud());
          var page =
              Paging.page(
                  s.trials().stream().map(LicensingApi::trial).toList(),
                  t -> String.format("%010d", t.getTypeValue()),
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListSelfServiceTrials",
                  List.of());
          return b.addAllTrials(page.items()).setNextPageToken(page.nextPageToken()).build();
        });
  }

  @Override
  public void checkEntitlement(
      CheckEntitlementRequest req, StreamObserver<CheckEntitlementResponse> out) {
    Unary.respond(
        out,
        () -> {
          // A user's licenses are tenant-wide; the answer names them, so only a tenant admin, or an
          // admin or maker of the environment asked about, may ask (issue 12 §2).
          if (!caller().isTenantAdmin()) {
            scopes.readable(req.getEnvironment(), "entitlements");
          }
          var a =
              flows.checkEntitlement(
                  req.getUser(),
                  req.getEnvironment(),
                  LicensingMapping.action(req.getAction()),
                  req.getFlow(),
                  LicensingMapping.connector(req.getConnector()));
          var b =
              CheckEntitlementResponse.newBuilder()
                  .setAllowed(a.decision().allowed())
                  .setRule(a.decision().rule())
                  .setReason(a.decision().reason())
                  .setNextStep(a.decision().nextStep());
          a.licenses().forEach(t -> b.addLicenses(LicensingMapping.licenseType(t)));
          return b.build();
        });
  }
}
