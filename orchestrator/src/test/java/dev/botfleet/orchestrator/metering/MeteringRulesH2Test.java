package dev.botfleet.orchestrator.metering;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class MeteringRulesH2Test extends MeteringRulesContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.h2(dir);
  }
}
