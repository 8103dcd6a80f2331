package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.capacity.CapacitySummary;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.proto.v1.AppShare;
import dev.botfleet.proto.v1.CapacityServiceGrpc;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.CreatePurchaseResponse;
import dev.botfleet.proto.v1.EnvironmentCapacity;
import dev.botfleet.proto.v1.ExtendTrialRequest;
import dev.botfleet.proto.v1.ExtendTrialResponse;
import dev.botfleet.proto.v1.GetCapacitySummaryRequest;
import dev.botfleet.proto.v1.GetCapacitySummaryResponse;
import dev.botfleet.proto.v1.ListAppSharesRequest;
import dev.botfleet.proto.v1.ListAppSharesResponse;
import dev.botfleet.proto.v1.ListPurchasesRequest;
import dev.botfleet.proto.v1.ListPurchasesResponse;
import dev.botfleet.proto.v1.OverCapacity;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.SetAllocationResponse;
import dev.botfleet.proto.v1.ShareAppRequest;
import dev.botfleet.proto.v1.ShareAppResponse;
import dev.botfleet.proto.v1.SkuSummary;
import dev.botfleet.proto.v1.UnshareAppRequest;
import dev.botfleet.proto.v1.UnshareAppResponse;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;

public final class CapacityApi extends CapacityServiceGrpc.CapacityServiceImplBase {
  private final CapacityService capacity;
  private final Clock clock;

  private final Idempotency idempotency;

  private final Scopes scopes;

  public CapacityApi(
      CapacityService capacity,
      Clock clock,
      Idempotency idempotency,
      dev.botfleet.orchestrator.environments.EnvironmentService environments) {
    this.idempotency = idempotency;
    this.scopes = new Scopes(environments);
    this.capacity = capacity;
    this.clock = clock;
  }

  @Override
  public void createPurchase(
      CreatePurchaseRequest req, StreamObserver<CreatePurchaseResponse> out) {
    Unary.respond(
        out,
        () -> {
          var p =
              capacity.purchase(
                  caller(),
                  ProtoMapping.sku(req.getSku()),
                  req.getQuantity(),
                  req.getTrial(),
                  req.getIdempotencyKey());
          return CreatePurchaseResponse.newBuilder()
              .setPurchase(ProtoMapping.purchase(p, clock.instant()))
              .build();
        });
  }

  @Override
  public void listPurchases(ListPurchasesRequest req, StreamObserver<ListPurchasesResponse> out) {
    Unary.respond(
        out,
        () -> {
          Scopes.tenantWide("purchases");
          var now = clock.instant();
          var page =
              Paging.page(
                  capacity.purchases().stream().map(p -> ProtoMapping.purchase(p, now)).toList(),
                  p ->
                      Paging.tuple(
                          String.format(
                              "%020d.%09d",
                              p.getStartsAt().getSeconds(), p.getStartsAt().getNanos()),
                          p.getId()),
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListPurchases",
                  List.of());
          return ListPurchasesResponse.newBuilder()
              .addAllPurchases(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  @Override
  public void extendTrial(ExtendTrialRequest req, StreamObserver<ExtendTrialResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                ExtendTrialResponse.parser(),
                () ->
                    ExtendTrialResponse.newBuilder()
                        .setPurchase(
                            ProtoMapping.purchase(
                                capacity.extendTrial(caller(), req.getPurchaseId()),
                                clock.instant()))
                        .build()));
  }

  @Override
  public void setAllocation(SetAllocationRequest req, StreamObserver<SetAllocationResponse> out) {
    Unary.respond(
        out,
        () -> {
          Sku sku = ProtoMapping.sku(req.getSku());
          switch (req.getTargetCase()) {
            case USER -> capacity.refuseUserAllocation(sku, req.getUser());
            case ENVIRONMENT -> {}
            default ->
                throw BotfleetException.invalid(
                    ErrorReason.TARGET_REQUIRED, "target: missing (expected: an environment)");
          }
          var change = capacity.allocate(caller(), req.getEnvironment(), sku, req.getQuantity());
          return SetAllocationResponse.newBuilder()
              .setSku(ProtoMapping.sku(change.sku()))
              .setEnvironment(change.environment().name())
              .setBefore(change.before())
              .setAfter(change.after())
              .build();
        });
  }

  @Override
  public void getCapacitySummary(
      GetCapacitySummaryRequest req, StreamObserver<GetCapacitySummaryResponse> out) {
    Unary.respond(
        out,
        () -> {
          // Issue 12 §2: the summary is tenant-wide (purchased and available units of the tenant,
          // every environment's rows): a tenant admin reads it; an environment's own rows are in
          // GetEnvironment for its admins and makers.
          Scopes.tenantWide("the capacity summary");
          return summary(capacity.summary());
        });
  }

  static GetCapacitySummaryResponse summary(CapacitySummary s) {
    var b = GetCapacitySummaryResponse.newBuilder();
    for (var t : s.skus()) {
      b.addSkus(
          SkuSummary.newBuilder()
              .setSku(ProtoMapping.sku(t.sku()))
              .setUnit(t.sku().unit())
              .setPurchased(t.purchased())
              .setAllocated(t.allocated())
              .setAvailable(t.available())
              .setConsumed(t.consumed()));
    }
    for (var e : s.environments()) {
      var eb =
          EnvironmentCapacity.newBuilder()
              .setEnvironment(ProtoMapping.environment(e.environment()));
      e.usage().forEach(u -> eb.addUsage(ProtoMapping.usage(u)));
      b.addEnvironments(eb);
    }
    for (var o : s.overCapacity()) {
      b.addOverCapacity(
          OverCapacity.newBuilder()
              .setSku(ProtoMapping.sku(o.sku()))
              .setEnvironment(o.environment().name())
              .setUnitsOver(o.unitsOver())
              .setRemedy(o.remedy()));
    }
    return b.build();
  }

  @Override
  public void shareApp(ShareAppRequest req, StreamObserver<ShareAppResponse> out) {
    Unary.respond(
        out,
        () -> {
          var r = capacity.shareApp(caller(), req.getEnvironment(), req.getApp(), req.getUser());
          return ShareAppResponse.newBuilder()
              .setShare(share(req.getEnvironment(), r.share()))
              .setCreated(r.created())
              .build();
        });
  }

  @Override
  public void unshareApp(UnshareAppRequest req, StreamObserver<UnshareAppResponse> out) {
    Unary.respond(
        out,
        () ->
            UnshareAppResponse.newBuilder()
                .setRemoved(
                    capacity.unshareApp(
                        caller(), req.getEnvironment(), req.getApp(), req.getUser()))
                .build());
  }

  @Override
  public void listAppShares(ListAppSharesRequest req, StreamObserver<ListAppSharesResponse> out) {
    Unary.respond(
        out,
        () -> {
          scopes.readable(req.getEnvironment(), "app shares");
          var page =
              Paging.page(
                  capacity.appShares(req.getEnvironment()).stream()
                      .map(s -> share(req.getEnvironment(), s))
                      .toList(),
                  s -> Paging.tuple(s.getApp(), s.getUser()),
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListAppShares",
                  List.of(req.getEnvironment()));
          return ListAppSharesResponse.newBuilder()
              .addAllShares(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  private static AppShare share(String environment, dev.botfleet.orchestrator.capacity.AppShare s) {
    return AppShare.newBuilder()
        .setEnvironment(environment)
        .setApp(s.app())
        .setUser(s.user())
        .setSharedAt(ProtoMapping.ts(s.sharedAt()))
        .build();
  }
}
