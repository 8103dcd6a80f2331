package dev.botfleet.orchestrator.capacity;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class CapacityRulesPostgresTest extends CapacityRulesContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.postgres(dir);
  }
}
