package dev.botfleet.orchestrator.runs;

import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class ExactlyOncePostgresTest extends ExactlyOnceContract {
  @Override
  TestOrchestrator start(Path dir, OrchestratorConfig.Timings timings) throws Exception {
    return TestOrchestrator.postgres(dir, timings);
  }
}
