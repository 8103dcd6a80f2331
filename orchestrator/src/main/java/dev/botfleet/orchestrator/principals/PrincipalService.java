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

/**
 * Principals and their bearer tokens. Tokens are shown once and stored hashed. Their life cycle
 * (issue 12 §3): a token may expire; {@link #rotate} gives a new one (the old one keeps working for
 * a grace the caller chooses); {@link #revoke} stops every token of the principal at once.
 *
 * <p>Every RPC authenticates. A cache keeps the principal lookup (a join over roles) off the
 * database; an entry is used only while the database's credential generation is the one it was
 * cached under. Every revocation and rotation bumps that generation in its own transaction, so it
 * takes effect at once on every replica sharing the database, at the cost of one primary-key read
 * per call instead of none. Expiry is checked in memory against the cached validity.
 */
public final class PrincipalService {
  /** How long an authentication is remembered at most (the generation check applies too). */
  private static final Duration CACHE_TTL = Duration.ofSeconds(10);

  /** The longest a token may live (--expires-in) and the longest rotation grace. */
  public static final Duration MAX_TOKEN_LIFE = Duration.ofDays(3660);

  public static final Duration MAX_GRACE = Duration.ofDays(30);

  /** The actor audited for offline recovery on the server's host ({@code admin reset-token}). */
  public static final String LOCAL_OPERATOR = "local-operator";

  private final Transactions tx;
  private final PrincipalRepository principals;
  private final EnvironmentService environments;
  private final AuditLog audit;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(Principal principal, Instant until, long generation) {}

  /**
   * The generation as of a read that began after the caller asked (so a revocation committed before
   * the call is seen), shared by the calls that arrive during one read (issue 9).
   */
  private final dev.botfleet.common.SharedRead<Long> generationRead;

  public record Created(Principal principal, String token) {}

  /** A rotation's answer: the new token, and until when the old one still works (null: not). */
  public record Rotated(Principal principal, String token, Instant previousValidUntil) {}

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
    this.generationRead =
        new dev.botfleet.common.SharedRead<>(() -> this.tx.inTransaction(principals::generation));
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
    return create(caller, name, role, environmentName, null);
  }

  /**
   * As {@link #create(Principal, String, Role, List, Duration)} for one environment (or none), with
   * a token expiring after {@code expiresIn} (null or zero: never).
   */
  public Created create(
      Principal caller, String name, Role role, String environmentName, Duration expiresIn) {
    return create(
        caller,
        name,
        role,
        environmentName == null || environmentName.isBlank() ? List.of() : List.of(environmentName),
        expiresIn);
  }

  /**
   * As {@link #create(Principal, String, Role, List, Duration)} with a token that never expires.
   */
  public Created create(Principal caller, String name, Role role, List<String> environmentNames) {
    return create(caller, name, role, environmentNames, null);
  }

  /**
   * Creates a principal with one role. ENVIRONMENT_ADMIN and MAKER are granted per environment: one
   * grant for each of {@code environmentNames} (at least one); tenant roles take none (issue 12
   * §2). The token expires after {@code expiresIn} (null or zero: never; issue 12 §3).
   */
  public Created create(
      Principal caller, String name, Role role, List<String> environmentNames, Duration expiresIn) {
    Access.requireAnyRole(caller, "create principals", Role.GLOBAL_ADMIN);
    Instant expiresAt = expiry("expires_in", expiresIn, MAX_TOKEN_LIFE);
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
          Principal principal =
              new Principal(Ids.newId("prn"), name, grants, clock.instant(), expiresAt, null);
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
              role
                  + (envNames.isEmpty() ? "" : " env=" + String.join(",", envNames))
                  + (expiresAt == null ? "" : " token expires " + expiresAt));
          return new Created(principal, token);
        });
  }

  /**
   * The principal a bearer token belongs to; empty for an unknown token. A token of a revoked
   * principal, an expired token and an old token past its rotation grace are refused {@code
   * UNAUTHENTICATED} with their own reason (issue 12 §3).
   */
  public Optional<Principal> authenticate(String token) {
    if (token == null || token.isBlank()) {
      return Optional.empty();
    }
    String hash = Tokens.hash(token);
    Instant now = clock.instant();
    long generation = generationRead.get();
    Cached cached = cache.get(hash);
    if (cached != null && cached.generation() == generation && cached.until().isAfter(now)) {
      return Optional.of(cached.principal());
    }
    cache.remove(hash);
    Optional<PrincipalRepository.TokenMatch> found =
        tx.inTransaction(() -> principals.findByTokenHash(hash));
    if (found.isEmpty()) {
      return Optional.empty();
    }
    var match = found.get();
    Principal p = match.principal();
    if (p.revoked()) {
      throw BotfleetException.unauthenticated(
          ErrorReason.UNAUTHENTICATED_TOKEN_REVOKED,
          "principal '"
              + p.name()
              + "' was revoked at "
              + p.revokedAt()
              + "; its tokens are refused");
    }
    Instant validUntil = match.previous() ? match.previousValidUntil() : p.tokenExpiresAt();
    if (validUntil != null && !now.isBefore(validUntil)) {
      throw BotfleetException.unauthenticated(
          ErrorReason.UNAUTHENTICATED_TOKEN_EXPIRED,
          (match.previous()
                  ? "this token of '" + p.name() + "' was rotated; its grace ended at "
                  : "the token of '" + p.name() + "' expired at ")
              + validUntil
              + " (expected: a current token; ask an admin to rotate it (RotatePrincipalToken))");
    }
    Instant until = now.plus(CACHE_TTL);
    if (validUntil != null && validUntil.isBefore(until)) {
      until = validUntil;
    }
    cache.put(hash, new Cached(p, until, generation));
    return Optional.of(p);
  }

  /** A principal by name. */
  public Principal require(String name) {
    return tx.inTransaction(() -> principals.findByName(name))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.PRINCIPAL_NOT_FOUND,
                    "principal '"
                        + name
                        + "' does not exist (expected: a name from `principal list`)"));
  }

  /** What {@link #revoke} did: the principal after it, and whether this call revoked it. */
  public record Revoked(Principal principal, boolean revokedNow) {}

  /**
   * Issue 12 §3: stops every token of the principal at once, on every replica. GLOBAL_ADMIN only;
   * revoking the last GLOBAL_ADMIN that is not revoked is refused, so the tenant never locks itself
   * out. Revoking again changes nothing. Audited as {@code principal.revoke}.
   */
  public Revoked revoke(Principal caller, String name) {
    Access.requireAnyRole(caller, "revoke principals", Role.GLOBAL_ADMIN);
    Names.require("name", name);
    Revoked result =
        tx.inTransaction(
            () -> {
              principals.bumpGenerationLocked(); // serialises revocations: the count below holds
              Principal p = requireIn(name);
              if (p.revoked()) {
                return new Revoked(p, false);
              }
              if (p.has(Role.GLOBAL_ADMIN) && principals.activeGlobalAdmins() <= 1) {
                throw BotfleetException.precondition(
                    ErrorReason.PRINCIPAL_LAST_GLOBAL_ADMIN,
                    "principal '"
                        + name
                        + "' is the last GLOBAL_ADMIN that is not revoked; create another"
                        + " GLOBAL_ADMIN first (CreatePrincipal with role GLOBAL_ADMIN)");
              }
              Instant now = clock.instant();
              principals.revoke(p.id(), now);
              audit.append(
                  now, caller.name(), "principal.revoke", "principal=" + name, "active", "revoked");
              return new Revoked(requireIn(name), true);
            });
    cache.clear();
    return result;
  }

  /**
   * Issue 12 §3: gives the principal a new token (shown once). The old one stops at once with a
   * zero grace, or keeps working until {@code grace} has passed (at most {@link #MAX_GRACE}); the
   * new one expires after {@code expiresIn} (null or zero: never). A GLOBAL_ADMIN rotates anyone's
   * token, anyone their own. Audited as {@code principal.rotate-token}.
   */
  public Rotated rotate(Principal caller, String name, Duration grace, Duration expiresIn) {
    Names.require("name", name);
    if (!caller.name().equals(name)) {
      Access.requireAnyRole(caller, "rotate another principal's token", Role.GLOBAL_ADMIN);
    }
    Instant previousUntil = expiry("grace", grace, MAX_GRACE);
    Instant expiresAt = expiry("expires_in", expiresIn, MAX_TOKEN_LIFE);
    Rotated result =
        tx.inTransaction(
            () -> {
              principals.bumpGenerationLocked();
              Principal p = requireIn(name);
              if (p.revoked()) {
                throw BotfleetException.precondition(
                    ErrorReason.PRINCIPAL_REVOKED,
                    "principal '"
                        + name
                        + "' was revoked at "
                        + p.revokedAt()
                        + "; it gets no new token");
              }
              String token = Tokens.newToken(p.has(Role.GLOBAL_ADMIN) ? "bfa_" : "bfp_");
              principals.rotate(p.id(), Tokens.hash(token), expiresAt, previousUntil, false);
              audit.append(
                  clock.instant(),
                  caller.name(),
                  "principal.rotate-token",
                  "principal=" + name,
                  null,
                  (previousUntil == null
                          ? "old token stopped"
                          : "old token valid until " + previousUntil)
                      + (expiresAt == null ? "" : "; new token expires " + expiresAt));
              return new Rotated(requireIn(name), token, previousUntil);
            });
    cache.clear();
    return result;
  }

  /**
   * Offline recovery by someone with access to the server's files (issue 12 §3, {@code botfleet
   * admin reset-token}): the principal gets a new token that never expires, every older token stops
   * at once, and a revocation is lifted. Audited with actor {@link #LOCAL_OPERATOR}.
   */
  public Rotated resetToken(String name) {
    Names.require("name", name);
    return tx.inTransaction(
        () -> {
          principals.bumpGenerationLocked();
          Principal p = requireIn(name);
          String token = Tokens.newToken(p.has(Role.GLOBAL_ADMIN) ? "bfa_" : "bfp_");
          principals.rotate(p.id(), Tokens.hash(token), null, null, true);
          audit.append(
              clock.instant(),
              LOCAL_OPERATOR,
              "principal.reset-token",
              "principal=" + name,
              p.revoked() ? "revoked" : "active",
              "new token; older tokens stopped");
          return new Rotated(requireIn(name), token, null);
        });
  }

  private Principal requireIn(String name) {
    return principals
        .findByName(name)
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.PRINCIPAL_NOT_FOUND,
                    "principal '"
                        + name
                        + "' does not exist (expected: a name from `principal list`)"));
  }

  /** now + {@code life}, null for null or zero; refused outside 1 second to {@code max}. */
  private Instant expiry(String field, Duration life, Duration max) {
    if (life == null || life.isZero()) {
      return null;
    }
    if (life.isNegative() || life.compareTo(max) > 0) {
      throw BotfleetException.invalid(
          ErrorReason.PRINCIPAL_TOKEN_LIFE,
          field + ": " + life + " (expected: 0 for none, or up to " + max.toDays() + " days)");
    }
    return clock.instant().plus(life);
  }

  public List<Principal> list(Principal caller) {
    Access.requireTenantAdmin(caller, "list principals");
    return tx.inTransaction(principals::list);
  }
}
