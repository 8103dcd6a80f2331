package dev.botfleet.orchestrator.api;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class MachineRemovalH2Test extends MachineRemovalContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.h2(dir, TIMINGS);
  }
}
