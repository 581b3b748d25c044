package dev.cairn.node;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What stands between a login and the CPU it costs: failed attempts are limited per client address
 * and per user name (a token bucket each: a burst, then one attempt every interval), and only so
 * many secrets are hashed at once. An attempt refused by a limit costs no hashing at all, so
 * guessing from one address, or at one user, cannot slow down everyone else's logins.
 *
 * <p>Thread-safe. Buckets of addresses and names not seen for a while are forgotten, so the memory
 * is bounded whatever an attacker sends.
 */
final class LoginGuard {
  /** Attempts allowed at once per address and per user name. */
  static final int BURST = 10;

  /** One attempt more per address and per user name every this long. */
  static final Duration REFILL = Duration.ofSeconds(6);

  private final Cache<String, Bucket> buckets =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(10)).build();
  private final Semaphore hashing;
  private final LongSupplier nanos;

  /** Thrown when every hashing slot stayed busy for {@link #BUSY_WAIT}. */
  static final class Busy extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Busy() {
      super("the node is busy checking secrets; try again in a second", null, false, false);
    }
  }

  static final Duration BUSY_WAIT = Duration.ofSeconds(10);

  /**
   * @param concurrentHashes how many secrets may be hashed at once
   * @param nanos the clock of the buckets
   */
  LoginGuard(int concurrentHashes, LongSupplier nanos) {
    this.hashing = new Semaphore(concurrentHashes, true);
    this.nanos = nanos;
  }

  /** A token bucket. */
  private static final class Bucket {
    private double tokens = BURST;
    private long at;

    Bucket(long now) {
      this.at = now;
    }

    /** Refills to {@code now}; the nanoseconds until a token is there, 0 if one is. */
    synchronized long nanosUntilToken(long now) {
      tokens = Math.min(BURST, tokens + (double) (now - at) / REFILL.toNanos());
      at = now;
      return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) * REFILL.toNanos());
    }

    synchronized void take() {
      tokens -= 1;
    }

    synchronized void giveBack() {
      tokens = Math.min(BURST, tokens + 1);
    }
  }

  /**
   * Takes an attempt from both the address's and the user name's bucket; a login that succeeds
   * gives it back ({@link #succeeded}), so the limits hold back guessing, not people who know their
   * secret.
   *
   * @return 0 if the attempt may go on, else the seconds to wait before the next one
   */
  synchronized long admit(String address, String user) { // checking and taking are one step
    long now = nanos.getAsLong();
    Bucket byAddress = buckets.get("a:" + address, k -> new Bucket(now));
    Bucket byUser = buckets.get("u:" + user, k -> new Bucket(now));
    long wait = Math.max(byAddress.nanosUntilToken(now), byUser.nanosUntilToken(now));
    if (wait > 0) {
      return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999L));
    }
    byAddress.take();
    byUser.take();
    return 0;
  }

  /** Gives back the attempt a successful login took. */
  void succeeded(String address, String user) {
    Bucket byAddress = buckets.getIfPresent("a:" + address);
    Bucket byUser = buckets.getIfPresent("u:" + user);
    if (byAddress != null) {
      byAddress.giveBack();
    }
    if (byUser != null) {
      byUser.giveBack();
    }
  }

  /**
   * Runs {@code check} (which hashes a secret) in one of the hashing slots.
   *
   * @throws Busy if no slot came free in time
   */
  <T> T hashing(Supplier<T> check) {
    boolean acquired;
    try {
      acquired = hashing.tryAcquire(BUSY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Busy();
    }
    if (!acquired) {
      throw new Busy();
    }
    try {
      return check.get();
    } finally {
      hashing.release();
    }
  }
}
