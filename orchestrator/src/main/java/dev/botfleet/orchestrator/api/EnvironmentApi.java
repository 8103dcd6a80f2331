package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.environments.EnvironmentType;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.CreateEnvironmentResponse;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.GetEnvironmentRequest;
import dev.botfleet.proto.v1.GetEnvironmentResponse;
import dev.botfleet.proto.v1.ListEnvironmentsRequest;
import dev.botfleet.proto.v1.ListEnvironmentsResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;

public final class EnvironmentApi extends EnvironmentServiceGrpc.EnvironmentServiceImplBase {
  private final EnvironmentService environments;
  private final CapacityService capacity;

  private final Idempotency idempotency;

  public EnvironmentApi(
      EnvironmentService environments, CapacityService capacity, Idempotency idempotency) {
    this.idempotency = idempotency;
    this.environments = environments;
    this.capacity = capacity;
  }

  @Override
  public void createEnvironment(
      CreateEnvironmentRequest req, StreamObserver<CreateEnvironmentResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                CreateEnvironmentResponse.parser(),
                () -> {
                  EnvironmentType type = ProtoEnums.ENVIRONMENT_TYPE.domainOrNull(req.getType());
                  if (type == null) {
                    throw BotfleetException.invalid(
                        ErrorReason.ENVIRONMENT_TYPE_REQUIRED,
                        "type: missing (expected: DEFAULT, PRODUCTION, SANDBOX, TRIAL, DEVELOPER or TEAMS)");
                  }
                  return CreateEnvironmentResponse.newBuilder()
                      .setEnvironment(
                          ProtoMapping.environment(
                              environments.create(caller(), req.getName(), type)))
                      .build();
                }));
  }

  @Override
  public void listEnvironments(
      ListEnvironmentsRequest req, StreamObserver<ListEnvironmentsResponse> out) {
    Unary.respond(
        out,
        () -> {
          // Issue 12 §2: the list leaves out environments the caller holds no role in.
          var me = caller();
          var page =
              Paging.page(
                  environments.list().stream()
                      .filter(e -> me.canReadIn(e.id()))
                      .map(ProtoMapping::environment)
                      .toList(),
                  dev.botfleet.proto.v1.Environment::getName,
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListEnvironments",
                  List.of());
          return ListEnvironmentsResponse.newBuilder()
              .addAllEnvironments(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  @Override
  public void getEnvironment(
      GetEnvironmentRequest req, StreamObserver<GetEnvironmentResponse> out) {
    Unary.respond(
        out,
        () -> {
          var env = new Scopes(environments).readable(req.getName(), "the environment");
          var b = GetEnvironmentResponse.newBuilder().setEnvironment(ProtoMapping.environment(env));
          capacity
              .summary()
              .environment(env.name())
              .usage()
              .forEach(u -> b.addUsage(ProtoMapping.usage(u)));
          return b.build();
        });
  }
}
