package dev.botfleet.orchestrator.runs;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class RunRulesH2Test extends RunRulesContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.h2(dir, TIMINGS);
  }
}
