package dev.botfleet.orchestrator.metering;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class MeteringRulesPostgresTest extends MeteringRulesContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.postgres(dir);
  }
}
