package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import dev.botfleet.proto.v1.AuditEvent;
import dev.botfleet.proto.v1.CapacityServiceGrpc.CapacityServiceBlockingStub;
import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.Environment;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc.EnvironmentServiceBlockingStub;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.ListAuditEventsResponse;
import dev.botfleet.proto.v1.ListEnvironmentsRequest;
import dev.botfleet.proto.v1.ListEnvironmentsResponse;
import dev.botfleet.proto.v1.ListGroupsRequest;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.ListRunsResponse;
import dev.botfleet.proto.v1.MachineServiceGrpc.MachineServiceBlockingStub;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunServiceGrpc.RunServiceBlockingStub;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 §2, paging (AIP-158): keyset pages in a stable order, walked while rows are inserted,
 * page_size bounds and page tokens bound to their filter. Once per database.
 */
abstract class PagingContract {
  static final OrchestratorConfig.Timings TIMINGS =
      new OrchestratorConfig.Timings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofMillis(200),
          Duration.ofSeconds(30));

  @TempDir Path dir;
  TestOrchestrator t;
  RunServiceBlockingStub runs;
  AdminServiceBlockingStub admin;
  CapacityServiceBlockingStub capacity;
  EnvironmentServiceBlockingStub environments;
  MachineServiceBlockingStub machines;
  ProtocolAgent agent;
  Fleet fleet;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    fleet = new Fleet(t).prod(10, 4);
    runs = fleet.runs;
    machines = fleet.machines;
    capacity = fleet.capacity;
    admin = t.admin(AdminServiceGrpc::newBlockingStub);
    environments = t.admin(EnvironmentServiceGrpc::newBlockingStub);
    // A machine with one bot: runs submitted to it queue behind the first.
    agent = fleet.agent(Fleet.ENV, "m1", 1);
    fleet.autoAllocation(Fleet.ENV, "m1", false).bots(Fleet.ENV, "m1", 1);
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  void allocate(int n) {
    capacity.setAllocation(
        SetAllocationRequest.newBuilder()
            .setEnvironment("prod")
            .setSku(Sku.SKU_PROCESS)
            .setQuantity(n)
            .build());
  }

  String submit() {
    return runs.submitRun(
            SubmitRunRequest.newBuilder()
                .setEnvironment("prod")
                .setFlow("noop")
                .setTarget(RunTarget.newBuilder().setMachine("m1"))
                .build())
        .getRun()
        .getId();
  }

  /** Every page of a list, page by page, with {@code between} run after each page. */
  static <R> List<R> walk(
      Function<String, R> page, Function<R, String> next, Runnable between, int maxPages) {
    List<R> pages = new ArrayList<>();
    String token = "";
    do {
      R r = page.apply(token);
      pages.add(r);
      token = next.apply(r);
      between.run();
    } while (!token.isEmpty() && pages.size() < maxPages);
    assertThat(token).as("the walk ends").isEmpty();
    return pages;
  }

  /**
   * Runs {@code insert} on another thread until the returned flag is cleared, so rows are inserted
   * while the walk runs.
   */
  static Thread inserting(AtomicBoolean on, AtomicInteger inserted, Runnable insert) {
    Thread th =
        new Thread(
            () -> {
              while (on.get()) {
                insert.run();
                inserted.incrementAndGet();
              }
            },
            "inserter");
    th.setDaemon(true);
    th.start();
    return th;
  }

  static <T> void assertEachOnceInOrder(List<T> seen, List<T> before) {
    assertThat(new HashSet<>(seen)).as("no row twice").hasSameSizeAs(seen);
    Set<T> old = new HashSet<>(before);
    assertThat(seen.stream().filter(old::contains).toList())
        .as("every row that existed before the walk, once, in list order")
        .containsExactlyElementsOf(before);
  }

  @Test
  void issue_8_runs_every_page_walked_while_runs_are_inserted_holds_each_existing_run_once()
      throws Exception {
    for (int i = 0; i < 120; i++) {
      submit();
      if (i % 25 == 0) {
        // Some runs share a submission time (ordered by seq), some do not.
        t.clock.advance(Duration.ofSeconds(1));
      }
    }
    List<String> before =
        runs
            .listRuns(ListRunsRequest.newBuilder().setEnvironment("prod").setPageSize(1000).build())
            .getRunsList()
            .stream()
            .map(Run::getId)
            .toList();
    assertThat(before).hasSize(120);

    AtomicBoolean on = new AtomicBoolean(true);
    AtomicInteger inserted = new AtomicInteger();
    Thread th =
        inserting(
            on,
            inserted,
            () -> {
              submit();
              t.clock.advance(Duration.ofMillis(1));
            });
    List<String> seen = new ArrayList<>();
    try {
      walk(
              token ->
                  runs.listRuns(
                      ListRunsRequest.newBuilder()
                          .setEnvironment("prod")
                          .setPageSize(7)
                          .setPageToken(token)
                          .build()),
              ListRunsResponse::getNextPageToken,
              () -> {},
              1000)
          .forEach(p -> p.getRunsList().forEach(r -> seen.add(r.getId())));
    } finally {
      on.set(false);
      th.join(10_000);
    }
    assertThat(inserted.get()).as("runs were inserted during the walk").isPositive();
    assertEachOnceInOrder(seen, before);
    // Newest first: the oldest run comes last.
    assertThat(seen.get(seen.size() - 1)).isEqualTo(before.get(before.size() - 1));
  }

  @Test
  void issue_8_audit_every_page_walked_while_events_are_inserted_holds_each_existing_event_once()
      throws Exception {
    for (int i = 0; i < 60; i++) {
      allocate(1 + i % 4);
    }
    List<Long> before =
        admin
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder()
                    .setActionPrefix("capacity.allocate")
                    .setPageSize(1000)
                    .build())
            .getEventsList()
            .stream()
            .map(AuditEvent::getId)
            .toList();
    assertThat(before).hasSize(61);
    assertThat(before).isSortedAccordingTo(java.util.Comparator.reverseOrder());

    AtomicBoolean on = new AtomicBoolean(true);
    AtomicInteger inserted = new AtomicInteger();
    AtomicInteger q = new AtomicInteger();
    Thread th = inserting(on, inserted, () -> allocate(1 + q.incrementAndGet() % 4));
    List<Long> seen = new ArrayList<>();
    try {
      walk(
              token ->
                  admin.listAuditEvents(
                      ListAuditEventsRequest.newBuilder()
                          .setActionPrefix("capacity.allocate")
                          .setPageSize(6)
                          .setPageToken(token)
                          .build()),
              ListAuditEventsResponse::getNextPageToken,
              () -> {},
              1000)
          .forEach(p -> p.getEventsList().forEach(e -> seen.add(e.getId())));
    } finally {
      on.set(false);
      th.join(10_000);
    }
    assertThat(inserted.get()).as("events were inserted during the walk").isPositive();
    assertEachOnceInOrder(seen, before);
  }

  @Test
  void issue_8_page_size_0_is_50_and_more_than_1000_is_refused() {
    for (int i = 0; i < 55; i++) {
      allocate(1 + i % 4);
    }
    var first =
        admin.listAuditEvents(
            ListAuditEventsRequest.newBuilder().setActionPrefix("capacity.allocate").build());
    assertThat(first.getEventsCount()).isEqualTo(50);
    assertThat(first.getNextPageToken()).isNotEmpty();
    var rest =
        admin.listAuditEvents(
            ListAuditEventsRequest.newBuilder()
                .setActionPrefix("capacity.allocate")
                .setPageToken(first.getNextPageToken())
                .build());
    assertThat(rest.getEventsCount()).isEqualTo(6);
    assertThat(rest.getNextPageToken()).isEmpty();

    assertThat(
            admin
                .listAuditEvents(ListAuditEventsRequest.newBuilder().setPageSize(1000).build())
                .getNextPageToken())
        .isEmpty();
    for (int size : new int[] {1001, -1}) {
      assertInvalid(
          () ->
              admin.listAuditEvents(ListAuditEventsRequest.newBuilder().setPageSize(size).build()),
          RequestLimits.OUT_OF_RANGE);
      assertInvalid(
          () ->
              runs.listRuns(
                  ListRunsRequest.newBuilder().setEnvironment("prod").setPageSize(size).build()),
          RequestLimits.OUT_OF_RANGE);
      assertInvalid(
          () ->
              environments.listEnvironments(
                  ListEnvironmentsRequest.newBuilder().setPageSize(size).build()),
          RequestLimits.OUT_OF_RANGE);
    }
  }

  @Test
  void issue_8_a_token_used_with_another_filter_or_list_is_refused() {
    for (int i = 0; i < 3; i++) {
      submit();
      allocate(1 + i);
    }
    String runToken =
        runs.listRuns(ListRunsRequest.newBuilder().setEnvironment("prod").setPageSize(1).build())
            .getNextPageToken();
    assertThat(runToken).isNotEmpty();
    assertInvalid(
        () ->
            runs.listRuns(
                ListRunsRequest.newBuilder()
                    .setEnvironment("prod")
                    .setState(RunState.RUN_STATE_QUEUED)
                    .setPageToken(runToken)
                    .build()),
        Paging.INVALID_PAGE_TOKEN);
    assertInvalid(
        () ->
            admin.listAuditEvents(
                ListAuditEventsRequest.newBuilder().setPageToken(runToken).build()),
        Paging.INVALID_PAGE_TOKEN);
    assertInvalid(
        () ->
            machines.listGroups(
                ListGroupsRequest.newBuilder()
                    .setEnvironment("prod")
                    .setPageToken(runToken)
                    .build()),
        Paging.INVALID_PAGE_TOKEN);
    // The same filter with another page size is fine.
    assertThat(
            runs.listRuns(
                    ListRunsRequest.newBuilder()
                        .setEnvironment("prod")
                        .setPageSize(5)
                        .setPageToken(runToken)
                        .build())
                .getRunsCount())
        .isEqualTo(2);

    String auditToken =
        admin
            .listAuditEvents(
                ListAuditEventsRequest.newBuilder()
                    .setActionPrefix("capacity.")
                    .setPageSize(1)
                    .build())
            .getNextPageToken();
    assertInvalid(
        () ->
            admin.listAuditEvents(
                ListAuditEventsRequest.newBuilder()
                    .setActionPrefix("capacity.allocate")
                    .setPageToken(auditToken)
                    .build()),
        Paging.INVALID_PAGE_TOKEN);
    for (String garbage : new String[] {"x", "not*base64", "cDEuYWJj"}) {
      assertInvalid(
          () ->
              runs.listRuns(
                  ListRunsRequest.newBuilder()
                      .setEnvironment("prod")
                      .setPageToken(garbage)
                      .build()),
          Paging.INVALID_PAGE_TOKEN);
    }
  }

  @Test
  void issue_8_small_lists_page_with_the_same_contract() {
    for (String name : List.of("e3", "e1", "e5", "e2", "e4")) {
      environments.createEnvironment(
          CreateEnvironmentRequest.newBuilder()
              .setName(name)
              .setType(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX)
              .build());
    }
    List<String> before =
        environments
            .listEnvironments(ListEnvironmentsRequest.getDefaultInstance())
            .getEnvironmentsList()
            .stream()
            .map(Environment::getName)
            .toList();
    assertThat(before).containsExactly("e1", "e2", "e3", "e4", "e5", "prod");
    AtomicInteger n = new AtomicInteger();
    List<String> seen = new ArrayList<>();
    walk(
            token ->
                environments.listEnvironments(
                    ListEnvironmentsRequest.newBuilder()
                        .setPageSize(2)
                        .setPageToken(token)
                        .build()),
            ListEnvironmentsResponse::getNextPageToken,
            // An environment sorting before the cursor and one after it arrive between pages.
            () ->
                environments.createEnvironment(
                    CreateEnvironmentRequest.newBuilder()
                        .setName((n.incrementAndGet() % 2 == 0 ? "a" : "z") + n.get())
                        .setType(EnvironmentType.ENVIRONMENT_TYPE_SANDBOX)
                        .build()),
            100)
        .forEach(p -> p.getEnvironmentsList().forEach(e -> seen.add(e.getName())));
    assertEachOnceInOrder(seen, before);
  }

  static void assertInvalid(Runnable call, Object reason) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(GrpcErrors.reason(e)).isEqualTo(reason.toString());
            });
  }
}
