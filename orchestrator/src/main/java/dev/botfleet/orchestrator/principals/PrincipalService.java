package dev.botfleet.orchestrator.principals;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Tokens;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.Role;
import dev.botfleet.orchestrator.admin.RoleGrant;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Principals and their bearer tokens. Tokens are shown once and stored hashed. */
public final class PrincipalService {
  /** Every RPC authenticates; a short cache keeps that off the database on hot paths. */
  private static final Duration CACHE_TTL = Duration.ofSeconds(10);

  private final Transactions tx;
  private final PrincipalRepository principals;
  private final EnvironmentService environments;
  private final AuditLog audit;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(Principal principal, Instant until) {}

  public record Created(Principal principal, String token) {}

  public PrincipalService(
      Transactions tx,
      PrincipalRepository principals,
      EnvironmentService environments,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.principals = requireNonNull(principals, "principals");
    this.environments = requireNonNull(environments, "environments");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * On first start with an empty database, creates the GLOBAL_ADMIN "admin" and returns its token.
   * Two replicas starting together race on the unique name: exactly one wins.
   */
  public Optional<Created> bootstrapAdmin() {
    return tx.inTransaction(
        () -> {
          if (principals.count() > 0) {
            return Optional.empty();
          }
          String token = Tokens.newToken("bfa_");
          Principal admin =
              new Principal(
                  Ids.newId("prn"),
                  "admin",
                  List.of(RoleGrant.of(Role.GLOBAL_ADMIN)),
                  clock.instant());
          if (!principals.insert(admin, Tokens.hash(token))) {
            return Optional.empty();
          }
          audit.append(
              clock.instant(),
              "system",
              "principal.create",
              "principal=admin",
              null,
              "GLOBAL_ADMIN");
          return Optional.of(new Created(admin, token));
        });
  }

  public Created create(Principal caller, String name, Role role, String environmentName) {
    return create(
        caller,
        name,
        role,
        environmentName == null || environmentName.isBlank()
            ? List.of()
            : List.of(environmentName));
  }

  /**
   * Creates a principal with one role. ENVIRONMENT_ADMIN and MAKER are granted per environment: one
   * grant for each of {@code environmentNames} (at least one); tenant roles take none (issue 12
   * §2).
   */
  public Created create(Principal caller, String name, Role role, List<String> environmentNames) {
    Access.requireAnyRole(caller, "create principals", Role.GLOBAL_ADMIN);
    Names.require("name", name);
    requireNonNull(role, "role");
    List<String> envNames =
        environmentNames.stream().filter(e -> e != null && !e.isBlank()).distinct().toList();
    return tx.inTransaction(
        () -> {
          List<RoleGrant> grants = new ArrayList<>();
          if (role.isEnvironmentScoped()) {
            if (envNames.isEmpty()) {
              throw BotfleetException.invalid(
                  ErrorReason.ENVIRONMENT_REQUIRED,
                  "environment: missing (expected: at least one environment for " + role + ")");
            }
            for (String envName : envNames) {
              Environment env = environments.require(envName);
              grants.add(new RoleGrant(role, env.id()));
            }
          } else if (!envNames.isEmpty()) {
            throw BotfleetException.invalid(
                ErrorReason.ENVIRONMENT_NOT_ALLOWED,
                "environment: '"
                    + String.join(",", envNames)
                    + "' (expected: none; only ENVIRONMENT_ADMIN and MAKER are scoped)");
          } else {
            grants.add(RoleGrant.of(role));
          }
          String token = Tokens.newToken("bfp_");
          Principal principal = new Principal(Ids.newId("prn"), name, grants, clock.instant());
          if (!principals.insert(principal, Tokens.hash(token))) {
            throw BotfleetException.alreadyExists(
                ErrorReason.PRINCIPAL_EXISTS,
                "principal '" + name + "' already exists (expected: a new name)");
          }
          audit.append(
              clock.instant(),
              caller.name(),
              "principal.create",
              "principal=" + name,
              null,
              role + (envNames.isEmpty() ? "" : " env=" + String.join(",", envNames)));
          return new Created(principal, token);
        });
  }

  /** The principal a bearer token belongs to, if any. */
  public Optional<Principal> authenticate(String token) {
    if (token == null || token.isBlank()) {
      return Optional.empty();
    }
    String hash = Tokens.hash(token);
    Instant now = clock.instant();
    Cached cached = cache.get(hash);
    if (cached != null && cached.until().isAfter(now)) {
      return Optional.of(cached.principal());
    }
    Optional<Principal> found = tx.inTransaction(() -> principals.findByTokenHash(hash));
    found.ifPresentOrElse(
        p -> cache.put(hash, new Cached(p, now.plus(CACHE_TTL))), () -> cache.remove(hash));
    return found;
  }

  public List<Principal> list(Principal caller) {
    Access.requireTenantAdmin(caller, "list principals");
    return tx.inTransaction(principals::list);
  }
}
