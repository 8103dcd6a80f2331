package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.Durations;
import dev.botfleet.orchestrator.principals.PrincipalService;
import dev.botfleet.orchestrator.store.Jdbc;
import dev.botfleet.orchestrator.store.JdbcPrincipalRepository;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import dev.botfleet.proto.v1.CreatePrincipalRequest;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.RevokePrincipalRequest;
import dev.botfleet.proto.v1.Role;
import dev.botfleet.proto.v1.RotatePrincipalTokenRequest;
import dev.botfleet.proto.v1.RotatePrincipalTokenResponse;
import dev.botfleet.proto.v1.WhoAmIRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 §3 (O4): principals' tokens are revoked at once (also through another replica sharing
 * the database), rotated with a grace, and expire; the last GLOBAL_ADMIN cannot be revoked. Through
 * real stubs; once per database.
 */
abstract class PrincipalLifecycleContract {
  @TempDir Path dir;
  TestOrchestrator t;
  AdminServiceBlockingStub admin;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    admin = t.admin(AdminServiceGrpc::newBlockingStub);
    // MAKER is granted per environment (issue 12 §2).
    t.admin(dev.botfleet.proto.v1.EnvironmentServiceGrpc::newBlockingStub)
        .createEnvironment(
            dev.botfleet.proto.v1.CreateEnvironmentRequest.newBuilder()
                .setName("prod")
                .setType(dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
                .build());
  }

  @AfterEach
  void tearDown() {
    t.close();
  }

  String create(String name, Role role, Duration expiresIn) {
    var b = CreatePrincipalRequest.newBuilder().setName(name).setRole(role);
    if (role == Role.ROLE_MAKER || role == Role.ROLE_ENVIRONMENT_ADMIN) {
      b.setEnvironment("prod");
    }
    if (expiresIn != null) {
      b.setExpiresIn(Durations.fromMillis(expiresIn.toMillis()));
    }
    return admin.createPrincipal(b.build()).getToken();
  }

  String whoAmI(String token) {
    return t.as(token, AdminServiceGrpc::newBlockingStub)
        .whoAmI(WhoAmIRequest.getDefaultInstance())
        .getPrincipal()
        .getName();
  }

  static void refused(ThrowingCallable call, Status.Code code, String reason) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(GrpcErrors.reason(e)).isEqualTo(reason);
            });
  }

  RotatePrincipalTokenResponse rotate(AdminServiceBlockingStub as, String name, Duration grace) {
    var b = RotatePrincipalTokenRequest.newBuilder().setName(name);
    if (grace != null) {
      b.setGrace(Durations.fromMillis(grace.toMillis()));
    }
    return as.rotatePrincipalToken(b.build());
  }

  @Test
  void issue_12_revoked_token_is_refused_at_once() {
    String token = create("ops", Role.ROLE_MAKER, null);
    assertThat(whoAmI(token)).isEqualTo("ops"); // now in the authentication cache

    var r = admin.revokePrincipal(RevokePrincipalRequest.newBuilder().setName("ops").build());

    assertThat(r.getRevokedNow()).isTrue();
    assertThat(r.getPrincipal().hasRevokedAt()).isTrue();
    refused(() -> whoAmI(token), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED_TOKEN_REVOKED");
    assertThat(
            admin
                .revokePrincipal(RevokePrincipalRequest.newBuilder().setName("ops").build())
                .getRevokedNow())
        .isFalse();
    assertThat(
            admin
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder().setActionPrefix("principal.revoke").build())
                .getEventsList())
        .singleElement()
        .satisfies(e -> assertThat(e.getTarget()).isEqualTo("principal=ops"));
  }

  @Test
  void issue_12_a_revocation_through_another_replica_is_effective_at_once() {
    String token = create("ops", Role.ROLE_MAKER, null);
    assertThat(whoAmI(token)).isEqualTo("ops"); // cached by this replica
    // Another replica: its own service and cache over the same database.
    var other =
        new PrincipalService(
            t.orchestrator.tx,
            new JdbcPrincipalRepository(new Jdbc(t.orchestrator.tx)),
            t.orchestrator.environments,
            t.orchestrator.audit,
            t.clock);

    other.revoke(other.authenticate(t.adminToken).orElseThrow(), "ops");

    refused(() -> whoAmI(token), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED_TOKEN_REVOKED");
  }

  @Test
  void issue_12_a_rotated_token_keeps_working_for_its_grace_then_stops() {
    String old = create("ops", Role.ROLE_MAKER, null);
    assertThat(whoAmI(old)).isEqualTo("ops");

    var r = rotate(admin, "ops", Duration.ofHours(1));

    assertThat(r.getToken()).isNotEqualTo(old);
    assertThat(r.getPreviousTokenValidUntil().getSeconds())
        .isEqualTo(t.clock.instant().plus(Duration.ofHours(1)).getEpochSecond());
    assertThat(whoAmI(old)).isEqualTo("ops");
    assertThat(whoAmI(r.getToken())).isEqualTo("ops");
    t.clock.advance(Duration.ofHours(1));
    refused(() -> whoAmI(old), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED_TOKEN_EXPIRED");
    assertThat(whoAmI(r.getToken())).isEqualTo("ops");
  }

  @Test
  void issue_12_a_rotation_without_grace_stops_the_old_token_at_once() {
    String old = create("ops", Role.ROLE_MAKER, null);
    assertThat(whoAmI(old)).isEqualTo("ops");

    var r = rotate(admin, "ops", null);

    assertThat(r.hasPreviousTokenValidUntil()).isFalse();
    refused(() -> whoAmI(old), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED_BAD_TOKEN");
    assertThat(whoAmI(r.getToken())).isEqualTo("ops");
  }

  @Test
  void issue_12_a_token_with_an_expiry_stops_working_when_it_expires() {
    String token = create("ops", Role.ROLE_MAKER, Duration.ofDays(30));
    assertThat(whoAmI(token)).isEqualTo("ops");

    t.clock.advance(Duration.ofDays(30));

    refused(() -> whoAmI(token), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED_TOKEN_EXPIRED");
    refused(
        () -> create("x", Role.ROLE_MAKER, Duration.ofDays(4000)),
        Status.Code.INVALID_ARGUMENT,
        "PRINCIPAL_TOKEN_LIFE");
  }

  @Test
  void issue_12_revoking_the_last_global_admin_is_refused_with_the_reason() {
    refused(
        () -> admin.revokePrincipal(RevokePrincipalRequest.newBuilder().setName("admin").build()),
        Status.Code.FAILED_PRECONDITION,
        "PRINCIPAL_LAST_GLOBAL_ADMIN");
    String second = create("admin2", Role.ROLE_GLOBAL_ADMIN, null);

    admin.revokePrincipal(RevokePrincipalRequest.newBuilder().setName("admin").build());

    refused(
        () ->
            t.as(second, AdminServiceGrpc::newBlockingStub)
                .revokePrincipal(RevokePrincipalRequest.newBuilder().setName("admin2").build()),
        Status.Code.FAILED_PRECONDITION,
        "PRINCIPAL_LAST_GLOBAL_ADMIN");
  }

  @Test
  void issue_12_a_principal_rotates_its_own_token_but_only_a_global_admin_rotates_anothers() {
    String maker = create("ops", Role.ROLE_MAKER, null);
    var stub = t.as(maker, AdminServiceGrpc::newBlockingStub);

    String fresh = rotate(stub, "ops", null).getToken();

    assertThat(whoAmI(fresh)).isEqualTo("ops");
    refused(
        () -> rotate(t.as(fresh, AdminServiceGrpc::newBlockingStub), "admin", null),
        Status.Code.PERMISSION_DENIED,
        "ROLE_REQUIRED");
    refused(() -> rotate(admin, "nobody", null), Status.Code.NOT_FOUND, "PRINCIPAL_NOT_FOUND");
  }
}
