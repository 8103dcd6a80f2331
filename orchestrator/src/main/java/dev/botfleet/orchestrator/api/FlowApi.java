package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.orchestrator.flows.CloudFlows;
import dev.botfleet.orchestrator.flows.FlowAssociations;
import dev.botfleet.orchestrator.flows.FlowPlans;
import dev.botfleet.orchestrator.flows.FlowView;
import dev.botfleet.orchestrator.licensing.ConnectorTier;
import dev.botfleet.orchestrator.metering.UsageReports;
import dev.botfleet.proto.v1.AllocatePerFlowRequest;
import dev.botfleet.proto.v1.AllocatePerFlowResponse;
import dev.botfleet.proto.v1.AllocateProcessRequest;
import dev.botfleet.proto.v1.AllocateProcessResponse;
import dev.botfleet.proto.v1.AssociateFlowRequest;
import dev.botfleet.proto.v1.AssociateFlowResponse;
import dev.botfleet.proto.v1.CloudFlow;
import dev.botfleet.proto.v1.CreateFlowRequest;
import dev.botfleet.proto.v1.CreateFlowResponse;
import dev.botfleet.proto.v1.DeallocatePerFlowRequest;
import dev.botfleet.proto.v1.DeallocatePerFlowResponse;
import dev.botfleet.proto.v1.DeallocateProcessRequest;
import dev.botfleet.proto.v1.DeallocateProcessResponse;
import dev.botfleet.proto.v1.DissociateFlowRequest;
import dev.botfleet.proto.v1.DissociateFlowResponse;
import dev.botfleet.proto.v1.FlowServiceGrpc;
import dev.botfleet.proto.v1.GetFlowRequest;
import dev.botfleet.proto.v1.GetFlowResponse;
import dev.botfleet.proto.v1.ListFlowsRequest;
import dev.botfleet.proto.v1.ListFlowsResponse;
import dev.botfleet.proto.v1.ShareFlowRequest;
import dev.botfleet.proto.v1.ShareFlowResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;

public final class FlowApi extends FlowServiceGrpc.FlowServiceImplBase {
  private final CloudFlows flows;
  private final FlowPlans plans;
  private final FlowAssociations associations;
  private final UsageReports usage;

  private final Idempotency idempotency;
  private final Scopes scopes;

  public FlowApi(
      CloudFlows flows,
      FlowPlans plans,
      FlowAssociations associations,
      UsageReports usage,
      Idempotency idempotency,
      dev.botfleet.orchestrator.environments.EnvironmentService environments) {
    this.idempotency = idempotency;
    this.scopes = new Scopes(environments);
    this.flows = flows;
    this.plans = plans;
    this.associations = associations;
    this.usage = usage;
  }

  CloudFlow flow(FlowView v) {
    var f = v.flow();
    var today = usage.today(f, v.charge());
    var b =
        CloudFlow.newBuilder()
            .setId(f.id())
            .setName(f.name())
            .setEnvironment(v.environment().name())
            .setOwner(v.owner())
            .setApp(f.app() == null ? "" : f.app())
            .setAppLicense(LicensingMapping.licenseType(f.appLicense()))
            .setPlan(LicensingMapping.plan(v.charge().plan()))
            .setPlanRule(v.charge().plan().rule())
            .setProcessUnits(f.processUnits())
            .setPerFlow(f.perFlow())
            .setParent(v.parent().orElse(""))
            .addAllAssociated(v.associated())
            .setCoveredBy(v.coveredBy().orElse(""))
            .setBucket(v.charge().bucketName())
            .setDailyRequestLimit(today.limit())
            .setBucketUsedToday(today.bucketUsed())
            .setUsedToday(today.flowUsed())
            .setCreatedAt(ProtoMapping.ts(f.createdAt()))
            .addAllSharedWith(v.sharedWith());
    f.connectors().forEach(c -> b.addConnectors(LicensingMapping.connector(c)));
    return b.build();
  }

  @Override
  public void createFlow(CreateFlowRequest req, StreamObserver<CreateFlowResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                CreateFlowResponse.parser(),
                () -> {
                  List<ConnectorTier> tiers = new ArrayList<>();
                  for (var c : req.getConnectorsList()) {
                    ConnectorTier t = LicensingMapping.connector(c);
                    if (t != null) {
                      tiers.add(t);
                    }
                  }
                  var v =
                      flows.create(
                          caller(),
                          req.getName(),
                          req.getEnvironment(),
                          req.getOwner(),
                          tiers,
                          req.getApp(),
                          LicensingMapping.licenseType(req.getAppLicense()));
                  return CreateFlowResponse.newBuilder().setFlow(flow(v)).build();
                }));
  }

  @Override
  public void getFlow(GetFlowRequest req, StreamObserver<GetFlowResponse> out) {
    Unary.respond(
        out,
        () -> {
          scopes.readable(req.getEnvironment(), "flows");
          return GetFlowResponse.newBuilder()
              .setFlow(flow(flows.get(req.getName(), req.getEnvironment())))
              .build();
        });
  }

  @Override
  public void listFlows(ListFlowsRequest req, StreamObserver<ListFlowsResponse> out) {
    Unary.respond(
        out,
        () -> {
          scopes.readable(req.getEnvironment(), "flows");
          var page =
              Paging.page(
                  flows.list(req.getEnvironment()).stream().map(this::flow).toList(),
                  dev.botfleet.proto.v1.CloudFlow::getName,
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListFlows",
                  List.of(req.getEnvironment()));
          return ListFlowsResponse.newBuilder()
              .addAllFlows(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  @Override
  public void shareFlow(ShareFlowRequest req, StreamObserver<ShareFlowResponse> out) {
    Unary.respond(
        out,
        () ->
            ShareFlowResponse.newBuilder()
                .setFlow(
                    flow(flows.share(caller(), req.getFlow(), req.getEnvironment(), req.getUser())))
                .build());
  }

  @Override
  public void allocateProcess(
      AllocateProcessRequest req, StreamObserver<AllocateProcessResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                AllocateProcessResponse.parser(),
                () ->
                    AllocateProcessResponse.newBuilder()
                        .setFlow(
                            flow(
                                plans.allocateProcess(
                                    caller(), req.getFlow(), req.getEnvironment(), req.getCount())))
                        .build()));
  }

  @Override
  public void deallocateProcess(
      DeallocateProcessRequest req, StreamObserver<DeallocateProcessResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                DeallocateProcessResponse.parser(),
                () ->
                    DeallocateProcessResponse.newBuilder()
                        .setFlow(
                            flow(
                                plans.deallocateProcess(
                                    caller(), req.getFlow(), req.getEnvironment(), req.getCount())))
                        .build()));
  }

  @Override
  public void allocatePerFlow(
      AllocatePerFlowRequest req, StreamObserver<AllocatePerFlowResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                AllocatePerFlowResponse.parser(),
                () ->
                    AllocatePerFlowResponse.newBuilder()
                        .setFlow(
                            flow(
                                plans.allocatePerFlow(
                                    caller(), req.getFlow(), req.getEnvironment())))
                        .build()));
  }

  @Override
  public void deallocatePerFlow(
      DeallocatePerFlowRequest req, StreamObserver<DeallocatePerFlowResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                DeallocatePerFlowResponse.parser(),
                () ->
                    DeallocatePerFlowResponse.newBuilder()
                        .setFlow(
                            flow(
                                plans.deallocatePerFlow(
                                    caller(), req.getFlow(), req.getEnvironment())))
                        .build()));
  }

  @Override
  public void associateFlow(AssociateFlowRequest req, StreamObserver<AssociateFlowResponse> out) {
    Unary.respond(
        out,
        () ->
            AssociateFlowResponse.newBuilder()
                .setFlow(
                    flow(
                        associations.associate(
                            caller(), req.getProcessFlow(), req.getFlow(), req.getEnvironment())))
                .build());
  }

  @Override
  public void dissociateFlow(
      DissociateFlowRequest req, StreamObserver<DissociateFlowResponse> out) {
    Unary.respond(
        out,
        () ->
            DissociateFlowResponse.newBuilder()
                .setFlow(
                    flow(associations.dissociate(caller(), req.getFlow(), req.getEnvironment())))
                .build());
  }
}
