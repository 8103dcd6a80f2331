package dev.botfleet.orchestrator.runs;

import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class ExactlyOnceH2Test extends ExactlyOnceContract {
  @Override
  TestOrchestrator start(Path dir, OrchestratorConfig.Timings timings) throws Exception {
    return TestOrchestrator.h2(dir, timings);
  }
}
