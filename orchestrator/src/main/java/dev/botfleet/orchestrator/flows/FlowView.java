package dev.botfleet.orchestrator.flows;

import dev.botfleet.orchestrator.environments.Environment;
import java.util.List;
import java.util.Optional;

/** A cloud flow with everything derived about it: its charge (plan), cover and associations. */
public record FlowView(
    CloudFlow flow,
    Environment environment,
    String owner,
    Charge charge,
    Optional<String> coveredBy,
    Optional<String> parent,
    List<String> associated,
    List<String> sharedWith) {}
