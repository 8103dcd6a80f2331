package dev.botfleet.orchestrator.api;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Paging of every {@code List*} RPC (AIP-158, issue 8 §2): page sizes and the page token codec.
 *
 * <p>{@code page_size} 0 means {@value #DEFAULT_PAGE_SIZE}, at most {@value #MAX_PAGE_SIZE} ({@link
 * RequestLimits} refuses more before a call gets here). Paging is keyset (seek) paging in a stable
 * order by a key fixed when the row is inserted, never an offset: a page starts strictly after the
 * key of the previous page's last row, so rows inserted while a client pages never make it see a
 * row twice or skip one that existed when it started.
 *
 * <p>The token is opaque to clients. It is the unpadded base64url encoding of the UTF-8 text {@code
 * p1.<filter>.<key part>…}: {@code filter} is the base64url of the first 12 bytes of SHA-256 over
 * the list's name and the request's filter fields, each key part the base64url of one component of
 * the last row's key. A token presented with another list or another filter, or one that does not
 * parse, is refused {@code INVALID_ARGUMENT} with reason {@value #INVALID_PAGE_TOKEN}. The token is
 * not signed: forging one only moves where a list the caller may read anyway starts.
 */
public final class Paging {
  public static final int DEFAULT_PAGE_SIZE = 50;
  public static final int MAX_PAGE_SIZE = 1000;

  /** Longest page token accepted (a key of a few names fits many times). */
  public static final int MAX_TOKEN_CHARS = 2048;

  public static final ErrorReason INVALID_PAGE_TOKEN = ErrorReason.INVALID_ARGUMENT_PAGE_TOKEN;

  private static final String VERSION = "p1";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder UNB64 = Base64.getUrlDecoder();

  private Paging() {}

  /** A page of a list: its items and the token of the next page, empty on the last. */
  public record Page<T>(List<T> items, String nextPageToken) {}

  /** The page size a request asked for: 0 → {@value #DEFAULT_PAGE_SIZE}. */
  public static int size(int pageSize) {
    if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw BotfleetException.invalid(
          RequestLimits.OUT_OF_RANGE,
          "page_size: " + pageSize + " (expected: 0 to " + MAX_PAGE_SIZE + "; 0 = 50)");
    }
    return pageSize == 0 ? DEFAULT_PAGE_SIZE : pageSize;
  }

  /**
   * The key a token carries, or null for an empty token (the first page).
   *
   * @param list the list's name, e.g. {@code ListRuns}
   * @param filter the request's filter fields, in a fixed order
   * @param parts how many key components the list's key has
   */
  public static List<String> decode(String token, String list, List<String> filter, int parts) {
    if (token == null || token.isEmpty()) {
      return null;
    }
    String text;
    try {
      text = new String(UNB64.decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid("page_token is not a token this server issued");
    }
    String[] fields = text.split("\\.", -1);
    if (fields.length != 2 + parts || !fields[0].equals(VERSION)) {
      throw invalid("page_token is not a token this server issued");
    }
    if (!fields[1].equals(filterHash(list, filter))) {
      throw invalid(
          "page_token belongs to another list or another filter: repeat the request with the filter"
              + " of the call that returned it, or start again without page_token");
    }
    List<String> key = new ArrayList<>(parts);
    try {
      for (int i = 0; i < parts; i++) {
        key.add(new String(UNB64.decode(fields[2 + i]), StandardCharsets.UTF_8));
      }
    } catch (IllegalArgumentException e) {
      throw invalid("page_token is not a token this server issued");
    }
    return key;
  }

  /** The token of the page that starts after {@code key}; empty for a null key (no next page). */
  public static String encode(String list, List<String> filter, List<String> key) {
    if (key == null) {
      return "";
    }
    StringBuilder text = new StringBuilder(VERSION).append('.').append(filterHash(list, filter));
    for (String part : key) {
      text.append('.').append(B64.encodeToString(part.getBytes(StandardCharsets.UTF_8)));
    }
    return B64.encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** A long key component of a token, refused like a malformed token when it is not a number. */
  public static long number(String part) {
    try {
      return Long.parseLong(part);
    } catch (NumberFormatException e) {
      throw invalid("page_token is not a token this server issued");
    }
  }

  /**
   * Keyset paging of a small list held in memory (environments, groups, purchases …): the items
   * sorted by {@code key} (unique per item, fixed for its life), those strictly after the token's
   * key, at most the page size. Same contract as the lists paged in SQL.
   */
  public static <T> Page<T> page(
      List<T> items,
      Function<T, String> key,
      int pageSize,
      String token,
      String list,
      List<String> filter) {
    int size = size(pageSize);
    List<String> after = decode(token, list, filter, 1);
    List<T> sorted = new ArrayList<>(items);
    sorted.sort(Comparator.comparing(key));
    List<T> page = new ArrayList<>(Math.min(size, sorted.size()));
    boolean more = false;
    for (T item : sorted) {
      if (after != null && key.apply(item).compareTo(after.get(0)) <= 0) {
        continue;
      }
      if (page.size() == size) {
        more = true;
        break;
      }
      page.add(item);
    }
    String next = more ? encode(list, filter, List.of(key.apply(page.get(size - 1)))) : "";
    return new Page<>(page, next);
  }

  /** A key of several components as one string that sorts like the tuple (no component has NUL). */
  public static String tuple(String... parts) {
    return String.join("\u0000", parts);
  }

  private static String filterHash(String list, List<String> filter) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(list.getBytes(StandardCharsets.UTF_8));
      for (String f : filter) {
        sha.update((byte) 0);
        sha.update((f == null ? "" : f).getBytes(StandardCharsets.UTF_8));
      }
      byte[] digest = sha.digest();
      return B64.encodeToString(java.util.Arrays.copyOf(digest, 12));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BotfleetException invalid(String message) {
    return BotfleetException.invalid(INVALID_PAGE_TOKEN, message);
  }
}
