package dev.botfleet.orchestrator.metering;

import dev.botfleet.orchestrator.flows.Charge;
import dev.botfleet.orchestrator.flows.CloudFlows;
import dev.botfleet.orchestrator.metering.MeteringRepository.Contribution;
import dev.botfleet.orchestrator.users.LicenseService;

/**
 * How buckets and their contributors are named to people: {@code flow:<name>}, {@code user:<name>}.
 */
final class BucketNames {
  private final CloudFlows flows;
  private final LicenseService licenses;

  BucketNames(CloudFlows flows, LicenseService licenses) {
    this.flows = flows;
    this.licenses = licenses;
  }

  String bucketName(BucketKey k) {
    return k.kind() == Charge.BucketKind.FLOW
        ? "flow:" + flows.requireById(k.id()).name()
        : "user:" + licenses.requireUserById(k.id()).name();
  }

  String sourceName(Contribution c) {
    return c.sourceKind().equals("FLOW")
        ? flows.requireById(c.sourceId()).name()
        : licenses.requireUserById(c.sourceId()).name();
  }
}
