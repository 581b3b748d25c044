package dev.cairn;

import java.time.Duration;

/**
 * How {@code scoped} retries when another writer got there first: at most {@code maxAttempts} runs
 * of the function on a current value (plus, at most once, a first run on this process's cached copy
 * that turned out to be behind), within {@code deadline}, waiting between them a random time below
 * an exponentially growing bound that starts at {@code initialBackoff} and stops growing at {@code
 * maxBackoff} ("full jitter", so that contenders spread out).
 */
public record Retry(
    int maxAttempts, Duration deadline, Duration initialBackoff, Duration maxBackoff) {

  /** 1,000 attempts within 30 seconds, backing off from 20 µs up to 20 ms. */
  public static final Retry DEFAULT =
      new Retry(1_000, Duration.ofSeconds(30), Duration.ofNanos(20_000), Duration.ofMillis(20));

  public Retry {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (deadline == null || deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    if (initialBackoff == null || initialBackoff.isNegative()) {
      throw new IllegalArgumentException(
          "initialBackoff must not be negative, got " + initialBackoff);
    }
    if (maxBackoff == null || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must be at least initialBackoff (" + initialBackoff + "), got " + maxBackoff);
    }
  }

  /** This policy with another number of attempts. */
  public Retry withMaxAttempts(int attempts) {
    return new Retry(attempts, deadline, initialBackoff, maxBackoff);
  }

  /** This policy with another deadline. */
  public Retry withDeadline(Duration newDeadline) {
    return new Retry(maxAttempts, newDeadline, initialBackoff, maxBackoff);
  }

  /** The bound of the wait after {@code failures} failed attempts, in nanoseconds. */
  long backoffBoundNanos(int failures) {
    long initial = initialBackoff.toNanos();
    long bound = failures >= 40 ? Long.MAX_VALUE : initial << Math.min(failures - 1, 40);
    return Math.min(Math.max(bound, initial), maxBackoff.toNanos());
  }
}
