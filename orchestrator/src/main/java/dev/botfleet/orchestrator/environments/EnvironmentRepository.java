package dev.botfleet.orchestrator.environments;

import java.util.List;
import java.util.Optional;

public interface EnvironmentRepository {
  /** False when the name is taken. */
  boolean insert(Environment environment);

  Optional<Environment> findByName(String name);

  Optional<Environment> findById(String id);

  List<Environment> list();
}
