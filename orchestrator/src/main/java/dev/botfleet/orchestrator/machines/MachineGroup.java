package dev.botfleet.orchestrator.machines;

import java.time.Instant;

/** A standard machine group; runs can target it. A machine belongs to at most one group. */
public record MachineGroup(String id, String environmentId, String name, Instant createdAt) {}
