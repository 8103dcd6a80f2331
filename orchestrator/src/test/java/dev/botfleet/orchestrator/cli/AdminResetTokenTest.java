package dev.botfleet.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.WhoAmIRequest;
import dev.botfleet.testing.Cli;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 §3: {@code botfleet admin reset-token} recovers a lost admin token offline, through the
 * real CLI entry point, on the H2 file of a stopped server and on PostgreSQL beside a running one.
 */
class AdminResetTokenTest {
  @TempDir Path dir;

  @Test
  void issue_12_admin_reset_token_gives_the_admin_a_new_token_in_the_data_dir_offline()
      throws Exception {
    String old;
    try (TestOrchestrator t = TestOrchestrator.h2(dir)) {
      old = t.adminToken;
    }
    Files.delete(dir.resolve("admin.token")); // lost

    Cli.Result r = Cli.exec("admin", "reset-token", "--data-dir", dir.toString()).ok();

    Path file = dir.resolve("admin.token");
    assertThat(r.out()).contains("new token for admin written to " + file.toAbsolutePath());
    String fresh = Files.readString(file).trim();
    assertThat(r.out()).doesNotContain(fresh);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    try (TestOrchestrator t = TestOrchestrator.h2(dir)) {
      assertThat(t.adminToken).isEqualTo(fresh).isNotEqualTo(old);
      var admin = t.admin(AdminServiceGrpc::newBlockingStub);
      assertThat(admin.whoAmI(WhoAmIRequest.getDefaultInstance()).getPrincipal().getName())
          .isEqualTo("admin");
      assertThatThrownBy(
              () ->
                  t.as(old, AdminServiceGrpc::newBlockingStub)
                      .whoAmI(WhoAmIRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(GrpcErrors.reason(e)).isEqualTo("UNAUTHENTICATED_BAD_TOKEN"));
      assertThat(
              admin
                  .listAuditEvents(
                      ListAuditEventsRequest.newBuilder()
                          .setActionPrefix("principal.reset-token")
                          .build())
                  .getEventsList())
          .singleElement()
          .satisfies(e -> assertThat(e.getActor()).isEqualTo("local-operator"));
    }
  }

  @Test
  void issue_12_admin_reset_token_on_postgresql_takes_effect_on_a_running_server_at_once()
      throws Exception {
    try (TestOrchestrator t = TestOrchestrator.postgres(dir.resolve("server"))) {
      String old = t.adminToken;
      var oldStub = t.as(old, AdminServiceGrpc::newBlockingStub);
      oldStub.whoAmI(WhoAmIRequest.getDefaultInstance()); // cached by the running server
      Path recovery = dir.resolve("recovery");
      Files.createDirectories(recovery);
      var config = t.orchestrator.config;
      java.util.List<String> args =
          new java.util.ArrayList<>(
              java.util.List.of(
                  "admin",
                  "reset-token",
                  "--data-dir",
                  recovery.toString(),
                  "--db-url",
                  config.dbUrl()));
      if (config.dbUser() != null) {
        args.addAll(java.util.List.of("--db-user", config.dbUser()));
      }
      if (config.dbPassword() != null) {
        args.addAll(java.util.List.of("--db-password", config.dbPassword()));
      }

      Cli.exec(args.toArray(String[]::new)).ok();

      String fresh = Files.readString(recovery.resolve("admin.token")).trim();
      assertThat(
              t.as(fresh, AdminServiceGrpc::newBlockingStub)
                  .whoAmI(WhoAmIRequest.getDefaultInstance())
                  .getPrincipal()
                  .getName())
          .isEqualTo("admin");
      assertThatThrownBy(() -> oldStub.whoAmI(WhoAmIRequest.getDefaultInstance()))
          .isInstanceOf(StatusRuntimeException.class);
    }
  }

  @Test
  void issue_12_admin_reset_token_without_a_database_says_what_it_expected() {
    Cli.Result r = Cli.exec("admin", "reset-token", "--data-dir", dir.resolve("none").toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("no database in").contains("--db-url");
  }
}
