package dev.botfleet.agent.exec;

import java.nio.charset.StandardCharsets;

/**
 * Keeps the last {@code capacity} bytes written to it, so a flow printing gigabytes costs a fixed
 * amount of memory. Thread-safe: the pump thread appends while the runner may read.
 */
final class LogTail {
  private final byte[] ring;
  private int next; // where the next byte goes
  private long total; // bytes ever appended

  LogTail(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("log tail capacity: " + capacity + " (expected: >= 1)");
    }
    this.ring = new byte[capacity];
  }

  synchronized void append(byte[] bytes, int offset, int length) {
    if (length >= ring.length) {
      // Only the end of this chunk survives; copy it in one go.
      System.arraycopy(bytes, offset + length - ring.length, ring, 0, ring.length);
      next = 0;
    } else {
      int first = Math.min(length, ring.length - next);
      System.arraycopy(bytes, offset, ring, next, first);
      System.arraycopy(bytes, offset + first, ring, 0, length - first);
      next = (next + length) % ring.length;
    }
    total += length;
  }

  /** Bytes ever appended, including those dropped. */
  synchronized long total() {
    return total;
  }

  /** Whether earlier bytes were dropped. */
  synchronized boolean truncated() {
    return total > ring.length;
  }

  int capacity() {
    return ring.length;
  }

  /**
   * The kept bytes as UTF-8; malformed input becomes U+FFFD. When the start was cut, the partial
   * character the cut left behind is skipped instead of showing as garbage.
   */
  synchronized String text() {
    int size = (int) Math.min(total, ring.length);
    byte[] out = new byte[size];
    if (total <= ring.length) {
      System.arraycopy(ring, 0, out, 0, size);
    } else {
      System.arraycopy(ring, next, out, 0, ring.length - next);
      System.arraycopy(ring, 0, out, ring.length - next, next);
    }
    int start = 0;
    if (truncated()) {
      // UTF-8 continuation bytes are 10xxxxxx; a character has at most 3 of them.
      while (start < Math.min(3, size) && (out[start] & 0xC0) == 0x80) {
        start++;
      }
    }
    return new String(out, start, size - start, StandardCharsets.UTF_8);
  }
}
