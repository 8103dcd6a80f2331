package dev.botfleet.orchestrator.api;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class IdempotencyH2Test extends IdempotencyContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.h2(dir, TIMINGS);
  }
}
