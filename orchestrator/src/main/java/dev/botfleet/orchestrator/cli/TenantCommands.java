package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CapacityAllocationMode;
import dev.botfleet.proto.v1.GetTenantSettingsRequest;
import dev.botfleet.proto.v1.TenantSettings;
import dev.botfleet.proto.v1.UpdateTenantSettingsRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tenant", mixinStandardHelpOptions = true, description = "Tenant settings.", subcommands = {TenantCommands.Settings.class})
final class TenantCommands {
  @Command(name = "settings", mixinStandardHelpOptions = true, description = "Show tenant settings, or change those given.")
  static final class Settings extends ClientCommand {
    @Option(names = "--capacity-allocation", description = "Who can allocate add-on capacity: EVERYONE or ONLY_SPECIFIC_ADMINS (C5).")
    CapacityAllocationMode capacityAllocation;

    @Override
    int run() {
      var stub = client.stub(AdminServiceGrpc::newBlockingStub);
      TenantSettings s;
      if (capacityAllocation != null) {
        s = stub.updateTenantSettings(UpdateTenantSettingsRequest.newBuilder().setCapacityAllocation(capacityAllocation).build()).getSettings();
      } else {
        s = stub.getTenantSettings(GetTenantSettingsRequest.getDefaultInstance()).getSettings();
      }
      client.print(out(), s, o -> new Table("SETTING", "VALUE").row("capacity-allocation", s.getCapacityAllocation()).print(o));
      return 0;
    }
  }
}
