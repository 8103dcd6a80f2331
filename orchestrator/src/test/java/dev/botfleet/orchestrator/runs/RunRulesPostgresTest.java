package dev.botfleet.orchestrator.runs;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class RunRulesPostgresTest extends RunRulesContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.postgres(dir, TIMINGS);
  }
}
