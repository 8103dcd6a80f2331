package dev.botfleet.orchestrator.flows;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class FlowRulesH2Test extends FlowRulesContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.h2(dir);
  }
}
