package dev.botfleet.common;

import java.security.SecureRandom;

/**
 * Ids are strings with a kind prefix ({@code env_}, {@code mach_}, {@code run_}) followed by a
 * time-ordered part (so ids sort roughly by creation) and a random part (so replicas never
 * collide). Crockford base32, lower case.
 */
public final class Ids {
  private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  public static String newId(String prefix) {
    StringBuilder sb = new StringBuilder(prefix.length() + 1 + 20);
    sb.append(prefix).append('_');
    long millis = System.currentTimeMillis();
    for (int shift = 45; shift >= 0; shift -= 5) {
      sb.append(ALPHABET[(int) ((millis >>> shift) & 31)]);
    }
    byte[] random = new byte[8];
    RANDOM.nextBytes(random);
    for (int i = 0; i < 8; i++) {
      sb.append(ALPHABET[random[i] & 31]);
    }
    return sb.toString();
  }
}
