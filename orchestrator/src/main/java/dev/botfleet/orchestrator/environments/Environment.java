package dev.botfleet.orchestrator.environments;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

public record Environment(String id, String name, EnvironmentType type, Instant createdAt) {
  public Environment {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(type, "type");
    requireNonNull(createdAt, "createdAt");
  }
}
