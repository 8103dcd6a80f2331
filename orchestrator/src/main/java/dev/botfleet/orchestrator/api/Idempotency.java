package dev.botfleet.orchestrator.api;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.idempotency.IdempotencyKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a mutating RPC safe to retry (issue 8 §2, AIP-155; docs/api.md "Idempotency"). A request
 * with an {@code idempotency_key} claims the key, runs and stores its answer in one transaction, so
 * a retry returns that answer, a concurrent twin waits for it (PostgreSQL) or finds it, and a call
 * cut off by a crash left nothing behind and runs again. The same key with a different request is
 * refused {@code ALREADY_EXISTS} ({@code IDEMPOTENCY_KEY_REUSED}); a failed call is not remembered.
 *
 * <p>Keys belong to the calling principal and to one RPC. Answers are kept {@link #REMEMBER};
 * answers that carry a secret (a principal's token, a join token) only {@link #REMEMBER_SECRET}, so
 * the database does not hold usable secrets for long.
 */
public final class Idempotency {
  public static final Duration REMEMBER = Duration.ofHours(24);
  public static final Duration REMEMBER_SECRET = Duration.ofMinutes(15);
  private static final Duration PURGE_EVERY = Duration.ofMinutes(5);
  private static final int PURGE_SLICE = 1000;
  private static final Logger log = LoggerFactory.getLogger(Idempotency.class);

  private final Transactions tx;
  private final IdempotencyKeys keys;
  private final Clock clock;
  private final AtomicReference<Instant> nextPurge = new AtomicReference<>(Instant.MIN);

  public Idempotency(Transactions tx, IdempotencyKeys keys, Clock clock) {
    this.tx = tx;
    this.keys = keys;
    this.clock = clock;
  }

  /** {@link #once(Principal, Message, Parser, Duration, Supplier)} for answers without secrets. */
  public <T extends Message> T once(
      Principal caller, Message request, Parser<T> answers, Supplier<T> call) {
    return once(caller, request, answers, REMEMBER, call);
  }

  /**
   * Runs {@code call} once per key. {@code request} must have a string field {@code
   * idempotency_key}; without a key the call simply runs.
   */
  public <T extends Message> T once(
      Principal caller, Message request, Parser<T> answers, Duration remember, Supplier<T> call) {
    FieldDescriptor keyField = request.getDescriptorForType().findFieldByName("idempotency_key");
    if (keyField == null) {
      throw new IllegalArgumentException(
          request.getDescriptorForType().getFullName() + " has no idempotency_key");
    }
    String key = (String) request.getField(keyField);
    if (key.isEmpty()) {
      return call.get();
    }
    // The length is bounded by RequestLimits for every idempotency_key before a call gets here.
    if (key.chars().anyMatch(Character::isISOControl)) {
      throw BotfleetException.invalid(
          ErrorReason.IDEMPOTENCY_KEY_INVALID,
          "idempotency_key: has control characters (expected: 1 to "
              + RequestLimits.MAX_IDEMPOTENCY_KEY_CHARS
              + " printable characters)");
    }
    String method = request.getDescriptorForType().getFullName();
    String hash = hash(request.toBuilder().clearField(keyField).build());
    purgeNowAndThen();
    return tx.inTransaction(
        () -> {
          Instant now = clock.instant();
          Instant expires = now.plus(remember);
          boolean claimed =
              keys.claim(caller.id(), method, key, hash, now, expires)
                  || keys.reclaimExpired(caller.id(), method, key, hash, now, expires);
          if (!claimed) {
            return remembered(caller, method, key, hash, answers);
          }
          T answer = call.get();
          keys.answer(caller.id(), method, key, answer.toByteArray());
          return answer;
        });
  }

  private <T extends Message> T remembered(
      Principal caller, String method, String key, String hash, Parser<T> answers) {
    IdempotencyKeys.Remembered r =
        keys.find(caller.id(), method, key)
            .orElseThrow(
                // Claimed by a transaction that rolled back between our claim and our read.
                () ->
                    new BotfleetException(
                        ErrorReason.INTERRUPTED,
                        "a call with this idempotency key was running and did not finish; retry"));
    if (!r.requestHash().equals(hash)) {
      throw BotfleetException.alreadyExists(
          ErrorReason.IDEMPOTENCY_KEY_REUSED,
          "idempotency_key '"
              + (key.length() <= 32 ? key : key.substring(0, 32) + "…")
              + "' was used for a different request (expected: a new key for a new request)");
    }
    try {
      return answers.parseFrom(r.response());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored answer of " + method + " does not parse", e);
    }
  }

  /** Deterministic: map fields are written in key order, so equal requests hash equal. */
  static String hash(Message m) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      m.writeTo(out);
      out.flush();
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Expired keys go in small slices, at most every few minutes, by whichever call comes first. */
  private void purgeNowAndThen() {
    Instant now = clock.instant();
    Instant due = nextPurge.get();
    if (now.isBefore(due) || !nextPurge.compareAndSet(due, now.plus(PURGE_EVERY))) {
      return;
    }
    try {
      int purged = tx.inTransaction(() -> keys.purgeExpired(now, PURGE_SLICE));
      if (purged == PURGE_SLICE) {
        nextPurge.set(now); // more to do: the next call purges again
      }
    } catch (RuntimeException e) {
      log.warn("event=idempotency_purge_failed error=\"{}\"", e.toString());
    }
  }
}
