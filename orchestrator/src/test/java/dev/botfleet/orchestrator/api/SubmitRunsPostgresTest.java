package dev.botfleet.orchestrator.api;

import dev.botfleet.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;

class SubmitRunsPostgresTest extends SubmitRunsContract {
  @Override
  TestOrchestrator start(Path dir) throws Exception {
    return TestOrchestrator.postgres(dir);
  }
}
