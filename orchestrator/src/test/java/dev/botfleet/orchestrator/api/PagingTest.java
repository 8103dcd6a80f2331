package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.botfleet.common.BotfleetException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The page token codec and in-memory keyset paging of {@link Paging} (issue 8 §2). */
class PagingTest {
  @Test
  void issue_8_a_token_round_trips_its_key_and_is_opaque_base64url() {
    List<String> key = List.of("1700000000", "123456", "42");
    String token = Paging.encode("ListRuns", List.of("prod", "0"), key);
    assertThat(token).matches("[A-Za-z0-9_-]+");
    assertThat(Paging.decode(token, "ListRuns", List.of("prod", "0"), 3)).isEqualTo(key);
    assertThat(Paging.decode("", "ListRuns", List.of("prod", "0"), 3)).isNull();
    assertThat(Paging.encode("ListRuns", List.of(), null)).isEmpty();
  }

  @Test
  void issue_8_a_token_with_another_filter_list_or_shape_is_refused() {
    String token = Paging.encode("ListRuns", List.of("prod", "0"), List.of("1", "2", "3"));
    for (Runnable r :
        List.<Runnable>of(
            () -> Paging.decode(token, "ListRuns", List.of("dev", "0"), 3),
            () -> Paging.decode(token, "ListRuns", List.of("prod", "1"), 3),
            // Filter fields are separated: ("pro", "d0") is not ("prod", "0").
            () -> Paging.decode(token, "ListRuns", List.of("pro", "d0"), 3),
            () -> Paging.decode(token, "ListAuditEvents", List.of("prod", "0"), 3),
            () -> Paging.decode(token, "ListRuns", List.of("prod", "0"), 1),
            () -> Paging.decode("%%%", "ListRuns", List.of("prod", "0"), 3),
            () -> Paging.decode(token + "x", "ListRuns", List.of("prod", "0"), 3),
            () -> Paging.number("abc"))) {
      assertThatThrownBy(r::run)
          .isInstanceOfSatisfying(
              BotfleetException.class,
              e -> assertThat(e.reason()).isEqualTo(Paging.INVALID_PAGE_TOKEN));
    }
  }

  @Test
  void issue_8_page_size_0_is_50_and_out_of_range_is_refused() {
    assertThat(Paging.size(0)).isEqualTo(50);
    assertThat(Paging.size(1000)).isEqualTo(1000);
    assertThatThrownBy(() -> Paging.size(1001)).isInstanceOf(BotfleetException.class);
    assertThatThrownBy(() -> Paging.size(-1)).isInstanceOf(BotfleetException.class);
  }

  @Test
  void issue_8_in_memory_pages_walk_in_key_order_and_survive_inserts_between_pages() {
    List<String> rows = new ArrayList<>(List.of("d", "b", "a", "e", "c", "f", "g"));
    List<String> seen = new ArrayList<>();
    String token = "";
    int inserted = 0;
    do {
      Paging.Page<String> page =
          Paging.page(rows, Function.identity(), 2, token, "ListX", List.of("f"));
      assertThat(page.items()).hasSizeLessThanOrEqualTo(2);
      seen.addAll(page.items());
      token = page.nextPageToken();
      // Rows arrive before and after the cursor between pages.
      rows.add("0" + inserted);
      rows.add("z" + inserted++);
    } while (!token.isEmpty());
    assertThat(seen.stream().filter(s -> s.length() == 1).toList())
        .containsExactly("a", "b", "c", "d", "e", "f", "g");
    assertThat(seen).doesNotHaveDuplicates();
  }

  @Test
  void issue_8_tuple_keys_sort_like_tuples() {
    assertThat(Paging.tuple("ab", "x")).isLessThan(Paging.tuple("abc", "a"));
    assertThat(Paging.tuple("a", "y")).isLessThan(Paging.tuple("a", "z"));
  }
}
