package dev.botfleet.orchestrator.principals;

import dev.botfleet.orchestrator.admin.Principal;
import java.util.List;
import java.util.Optional;

public interface PrincipalRepository {
  /** Inserts a principal; false when the name is taken. */
  boolean insert(Principal principal, String tokenHash);

  Optional<Principal> findByTokenHash(String tokenHash);

  Optional<Principal> findByName(String name);

  List<Principal> list();

  long count();
}
