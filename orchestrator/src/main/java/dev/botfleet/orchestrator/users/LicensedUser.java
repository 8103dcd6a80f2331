package dev.botfleet.orchestrator.users;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** A person flows belong to and user licenses are assigned to (L1); not an API principal. */
public record LicensedUser(String id, String name, Instant createdAt) {
  public LicensedUser {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(createdAt, "createdAt");
  }
}
