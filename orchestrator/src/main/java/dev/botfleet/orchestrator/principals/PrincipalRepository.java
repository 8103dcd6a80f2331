package dev.botfleet.orchestrator.principals;

import dev.botfleet.orchestrator.admin.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface PrincipalRepository {
  /** Inserts a principal; false when the name is taken. */
  boolean insert(Principal principal, String tokenHash);

  /**
   * The principal whose current token, or whose previous token (kept for a rotation's grace), has
   * this hash; revoked and expired ones too, so the caller can say why it refuses (issue 12 §3).
   */
  Optional<TokenMatch> findByTokenHash(String tokenHash);

  /** What a token hash matched: the principal, and whether it is its previous token until when. */
  record TokenMatch(Principal principal, boolean previous, Instant previousValidUntil) {}

  Optional<Principal> findByName(String name);

  List<Principal> list();

  long count();

  /**
   * The credential generation, bumped by every revocation and rotation: caches of authentications
   * hold entries only while it is unchanged (issue 12 §3). One primary-key read.
   */
  long generation();

  /**
   * Locks the generation row until the transaction ends and bumps it: serialises revocations (the
   * last GLOBAL_ADMIN check) across threads and replicas.
   */
  void bumpGenerationLocked();

  /** Principals holding GLOBAL_ADMIN that are not revoked. */
  long activeGlobalAdmins();

  /** Marks the principal revoked at {@code at}; false when it was revoked already. */
  boolean revoke(String id, Instant at);

  /**
   * Gives the principal a new token: its current one becomes the previous one valid until {@code
   * previousValidUntil}, or stops at once when that is null. Also clears a revocation when {@code
   * reinstate} (offline admin reset-token).
   */
  void rotate(
      String id,
      String newTokenHash,
      Instant newTokenExpiresAt,
      Instant previousValidUntil,
      boolean reinstate);
}
