package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.CapacityServiceGrpc;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.ExtendTrialRequest;
import dev.botfleet.proto.v1.GetCapacitySummaryRequest;
import dev.botfleet.proto.v1.ListPurchasesRequest;
import dev.botfleet.proto.v1.Purchase;
import dev.botfleet.proto.v1.SetAllocationRequest;
import dev.botfleet.proto.v1.Sku;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "capacity",
    mixinStandardHelpOptions = true,
    description = "Capacity add-ons: purchase, allocate, summary.",
    subcommands = {
      CapacityCommands.PurchaseCmd.class,
      CapacityCommands.Purchases.class,
      CapacityCommands.ExtendTrial.class,
      CapacityCommands.Allocate.class,
      CapacityCommands.Summary.class
    })
final class CapacityCommands {
  static void purchaseTable(java.io.PrintWriter o, java.util.List<Purchase> purchases) {
    Table t = new Table("ID", "SKU", "QUANTITY", "KIND", "STARTS", "ENDS", "EXTENDED", "ACTIVE");
    purchases.forEach(
        p ->
            t.row(
                p.getId(),
                p.getSku(),
                p.getQuantity(),
                p.getTrial() ? "trial" : "paid",
                ClientCommand.ts(p.getStartsAt()),
                ClientCommand.ts(p.getEndsAt()),
                p.getTrial() ? (p.getExtended() ? "yes" : "no") : "",
                p.getActive() ? "yes" : "no"));
    t.print(o);
  }

  @Command(
      name = "purchase",
      mixinStandardHelpOptions = true,
      description =
          "Record purchased units of a SKU (C1); --trial for a 30-day admin-managed trial (L6).")
  static final class PurchaseCmd extends ClientCommand {
    @Option(
        names = "--sku",
        required = true,
        description =
            "PROCESS, UNATTENDED_RPA, HOSTED_PROCESS, PER_FLOW, APP_PASS, AI_BUILDER_CREDITS, PORTAL_LOGINS, PORTAL_VIEWS.")
    Sku sku;

    @Option(names = "--quantity", required = true, description = "Units (> 0).")
    long quantity;

    @Option(names = "--trial", description = "An admin-managed trial: 30 days, extendable once.")
    boolean trial;

    @Option(
        names = "--idempotency-key",
        description = "A retried call with the same key records one purchase.")
    String key;

    @Override
    int run() {
      var resp =
          client
              .stub(CapacityServiceGrpc::newBlockingStub)
              .createPurchase(
                  CreatePurchaseRequest.newBuilder()
                      .setSku(sku)
                      .setQuantity(quantity)
                      .setTrial(trial)
                      .setIdempotencyKey(key == null ? "" : key)
                      .build());
      client.print(out(), resp, o -> purchaseTable(o, java.util.List.of(resp.getPurchase())));
      return 0;
    }
  }

  @Command(name = "purchases", mixinStandardHelpOptions = true, description = "List purchases.")
  static final class Purchases extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListPurchasesRequest.getDefaultInstance(),
              r -> client.stub(CapacityServiceGrpc::newBlockingStub).listPurchases(r),
              err(),
              "purchases");
      client.print(out(), resp, o -> purchaseTable(o, resp.getPurchasesList()));
      return 0;
    }
  }

  @Command(
      name = "extend-trial",
      mixinStandardHelpOptions = true,
      description = "Extend a trial once by 30 days (L6).")
  static final class ExtendTrial extends ClientCommand {
    @Parameters(index = "0", description = "Purchase id.")
    String id;

    @Override
    int run() {
      var resp =
          client
              .stub(CapacityServiceGrpc::newBlockingStub)
              .extendTrial(ExtendTrialRequest.newBuilder().setPurchaseId(id).build());
      client.print(out(), resp, o -> purchaseTable(o, java.util.List.of(resp.getPurchase())));
      return 0;
    }
  }

  @Command(
      name = "allocate",
      mixinStandardHelpOptions = true,
      description = "Set the units of a SKU allocated to an environment (absolute) (C2).")
  static final class Allocate extends ClientCommand {
    static final class Target {
      @Option(names = "--env", required = true, description = "Environment.")
      String env;

      @Option(
          names = "--user",
          required = true,
          description = "Refused: add-ons go to environments, not users (C6).")
      String user;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--sku", required = true, description = "SKU.")
    Sku sku;

    @Option(
        names = "--quantity",
        required = true,
        description = "Units allocated after the call (>= 0).")
    long quantity;

    @Override
    int run() {
      var req = SetAllocationRequest.newBuilder().setSku(sku).setQuantity(quantity);
      if (target.env != null) {
        req.setEnvironment(target.env);
      } else {
        req.setUser(target.user);
      }
      var resp = client.stub(CapacityServiceGrpc::newBlockingStub).setAllocation(req.build());
      client.print(
          out(),
          resp,
          o ->
              new Table("ENVIRONMENT", "SKU", "BEFORE", "AFTER")
                  .row(resp.getEnvironment(), resp.getSku(), resp.getBefore(), resp.getAfter())
                  .print(o));
      return 0;
    }
  }

  @Command(
      name = "summary",
      mixinStandardHelpOptions = true,
      description = "The add-ons tile: purchased, allocated, available, consumed (C4, C7, C8).")
  static final class Summary extends ClientCommand {
    @Override
    int run() {
      var resp =
          client
              .stub(CapacityServiceGrpc::newBlockingStub)
              .getCapacitySummary(GetCapacitySummaryRequest.getDefaultInstance());
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("SKU", "PURCHASED", "ALLOCATED", "AVAILABLE", "CONSUMED", "UNIT");
            resp.getSkusList()
                .forEach(
                    s ->
                        t.row(
                            s.getSku(),
                            s.getPurchased(),
                            s.getAllocated(),
                            s.getAvailable(),
                            s.getConsumed(),
                            s.getUnit()));
            t.print(o);
            o.println();
            Table e = new Table("ENVIRONMENT", "SKU", "ALLOCATED", "CONSUMED", "OVER CAPACITY");
            resp.getEnvironmentsList()
                .forEach(
                    env ->
                        env.getUsageList()
                            .forEach(
                                u ->
                                    e.row(
                                        env.getEnvironment().getName(),
                                        u.getSku(),
                                        u.getAllocated(),
                                        u.getConsumed(),
                                        u.getOverCapacity())));
            e.print(o);
            if (resp.getOverCapacityCount() > 0) {
              o.println();
              o.println(
                  "OVER CAPACITY (newest allocations first; running work continues, new consumption of these SKUs is refused):");
              resp.getOverCapacityList()
                  .forEach(
                      x ->
                          o.println(
                              "  "
                                  + WireNames.of(x.getSku())
                                  + " in "
                                  + x.getEnvironment()
                                  + ": "
                                  + x.getUnitsOver()
                                  + " over; fix: "
                                  + x.getRemedy()));
            }
          });
      return 0;
    }
  }
}
