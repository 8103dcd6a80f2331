package dev.botfleet.orchestrator.cli;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.io.PrintWriter;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * {@code --limit} and {@code --all} of every list command: the CLI pages for the user (issue 8 §2).
 *
 * <p>Without either, one page of the server's default size (50) is shown, and a hint on stderr says
 * when more exist. {@code --limit N} follows {@code next_page_token} until N rows are shown (asking
 * for no more than are still wanted, at most 1,000 a page); {@code --all} follows it to the last
 * page. The pages are merged into one response of the RPC's own type, so {@code -o json} prints a
 * single JSON object: every row fetched, and in {@code nextPageToken} the token where the listing
 * stopped (empty when it reached the end), which a script can pass to the API to go on.
 */
final class PageOptions {
  static final int MAX_PAGE_SIZE = 1000;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Show at most N rows, fetching as many pages as that takes.")
  Integer limit;

  @Option(
      names = "--page-size",
      paramLabel = "N",
      description = "Rows per call, 1 to 1000 (default: 50, with --limit or --all 1000).")
  Integer pageSize;

  @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
  picocli.CommandLine.Model.CommandSpec mixee;

  @Option(names = "--all", description = "Fetch every page (with --limit: until N rows).")
  boolean all;

  /**
   * Calls {@code call} for as many pages as the options ask and returns them merged.
   *
   * @param noun what the list holds, for the hint, e.g. {@code runs}
   */
  <Q extends Message, R extends Message> R fetch(
      Q request, Function<Q, R> call, PrintWriter err, String noun) {
    if (limit != null && limit < 1) {
      throw new picocli.CommandLine.ParameterException(
          mixee.commandLine(), "--limit must be at least 1, got " + limit);
    }
    if (pageSize != null && (pageSize < 1 || pageSize > MAX_PAGE_SIZE)) {
      throw new picocli.CommandLine.ParameterException(
          mixee.commandLine(), "--page-size must be 1 to " + MAX_PAGE_SIZE + ", got " + pageSize);
    }
    R merged = fetch(request, call, limit, pageSize, all || limit != null);
    if (!all && !token(merged).isEmpty()) {
      err.println("(more " + noun + " exist: --limit N shows the first N, --all shows every one)");
      err.flush();
    }
    return merged;
  }

  /** Every page, merged (lists that are short by nature, e.g. one row per license type). */
  static <Q extends Message, R extends Message> R all(Q request, Function<Q, R> call) {
    return fetch(request, call, null, null, true);
  }

  @SuppressWarnings("unchecked")
  private static <Q extends Message, R extends Message> R fetch(
      Q request, Function<Q, R> call, Integer limit, Integer pageSize, boolean follow) {
    FieldDescriptor size = request.getDescriptorForType().findFieldByName("page_size");
    FieldDescriptor pageToken = request.getDescriptorForType().findFieldByName("page_token");
    Message.Builder merged = null;
    FieldDescriptor items = null;
    String token = "";
    int got = 0;
    do {
      int per = pageSize != null ? pageSize : follow ? MAX_PAGE_SIZE : 0;
      int want = limit == null ? per : Math.min(per == 0 ? MAX_PAGE_SIZE : per, limit - got);
      Q page = (Q) request.toBuilder().setField(size, want).setField(pageToken, token).build();
      R resp = call.apply(page);
      if (merged == null) {
        merged = resp.toBuilder();
        items = itemsField(resp);
      } else {
        for (Object item : (java.util.List<?>) resp.getField(items)) {
          merged.addRepeatedField(items, item);
        }
        merged.setField(
            resp.getDescriptorForType().findFieldByName("next_page_token"), token(resp));
      }
      got += resp.getRepeatedFieldCount(items);
      token = token(resp);
    } while (follow && !token.isEmpty() && (limit == null || got < limit));
    return (R) merged.build();
  }

  private static FieldDescriptor itemsField(Message resp) {
    for (FieldDescriptor f : resp.getDescriptorForType().getFields()) {
      if (f.isRepeated()) {
        return f;
      }
    }
    throw new IllegalStateException(resp.getDescriptorForType().getFullName() + " lists nothing");
  }

  private static String token(Message resp) {
    return (String) resp.getField(resp.getDescriptorForType().findFieldByName("next_page_token"));
  }
}
