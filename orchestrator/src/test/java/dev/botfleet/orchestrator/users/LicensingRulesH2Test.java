package dev.botfleet.orchestrator.users;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class LicensingRulesH2Test extends LicensingRulesContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.h2(dir);
  }
}
