package dev.cairn.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The engine every facade stands on: keyed logs in a {@link Backend}, reduced to values by a
 * reducer, with a cache of reduced values, bounded by their estimated memory, that is brought up to
 * date incrementally (only entries after the cached head are read), and the one write primitive, a
 * conditional append retried on a fresh value when another writer got there first.
 *
 * <p>Thread-safe. A reduction is mutated only under its own monitor.
 */
public final class Engine<S extends Engine.Reduction> implements AutoCloseable {

  /** A value reduced from a log. Implementations are mutable and guarded by their monitor. */
  public interface Reduction {
    /**
     * The sequence number of the last entry applied, 0 for none; read without the monitor, so it
     * must not move before what readers see of those entries does.
     */
    long head();

    /** Applies entries that follow the head, oldest first. */
    void apply(List<LogEntry> entries);

    /** An estimate of the memory it holds, in bytes, by which the cache is bounded. */
    long weight();
  }

  /**
   * What a write decided after looking at the current value.
   *
   * @param payloads entries to append atomically; empty to write nothing
   * @param result what the write returns to its caller
   */
  public record Decision<R>(List<byte[]> payloads, R result) {
    public static <R> Decision<R> none(R result) {
      return new Decision<>(List.of(), result);
    }
  }

  private final Backend backend;
  private final Supplier<S> empty;
  private final Cache<String, S> cache;
  private volatile long epoch;

  /**
   * @param cacheBytes the bound of the cached values' {@linkplain Reduction#weight weights}
   */
  public Engine(Backend backend, Supplier<S> empty, long cacheBytes) {
    this.backend = backend;
    this.empty = empty;
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(cacheBytes)
            .weigher((String key, S s) -> (int) Math.min(Integer.MAX_VALUE, s.weight()))
            .build();
    this.epoch = backend.epoch();
  }

  public Backend backend() {
    return backend;
  }

  /** The reduced value of {@code key}, reflecting every append acknowledged before the call. */
  public S state(String key) {
    S cached = cache.getIfPresent(key);
    if (cached == null) {
      return fresh(key);
    }
    Backend.Position position = backend.position(key);
    if (position.epoch() != epoch) {
      cache.invalidateAll(); // logs were rewritten: reductions may hold pruned entries
      epoch = position.epoch();
    }
    long head = position.head();
    S state = cache.get(key, k -> empty.get());
    if (state.head() >= head) {
      return state; // further than the position read, if another thread brought it on since
    }
    synchronized (state) {
      if (state.head() < head) {
        state.apply(backend.read(key, state.head()));
        reweigh(key, state);
      }
    }
    return state;
  }

  /**
   * A value not in the cache: reduced from one read of its whole log, then cached, unless another
   * thread cached it meanwhile (then that one, brought up to date).
   */
  private S fresh(String key) {
    long now = backend.epoch();
    if (now != epoch) {
      cache.invalidateAll();
      epoch = now;
    }
    S state = empty.get();
    state.apply(backend.read(key, 0));
    S raced = cache.asMap().putIfAbsent(key, state);
    return raced == null ? state : state(key);
  }

  /**
   * Reads the value, lets {@code decide} choose what to append, and appends it only if the log has
   * not moved meanwhile; otherwise decides again on the fresh value. {@code decide} runs under the
   * value's monitor, may run more than once, and may throw to abort the write.
   */
  public <R> R write(String key, Function<S, Decision<R>> decide) {
    return ConditionalAppend.run(
        backend,
        key,
        () -> {
          S state = state(key);
          synchronized (state) {
            long head = state.head();
            Decision<R> d = decide.apply(state);
            return new ConditionalAppend.Attempt<>(
                head,
                d.payloads(),
                d.result(),
                last -> applyOwn(key, state, head, last, d.payloads()));
          }
        });
  }

  /**
   * Appends to {@code key}'s log if it still ends at {@code head}, where {@code state} was reduced;
   * for writers that decide outside the value's monitor (a user function may be slow).
   *
   * @return whether the entries were appended
   */
  public boolean appendIf(String key, S state, long head, List<byte[]> payloads) {
    long last = backend.append(key, head, payloads);
    if (last == 0) {
      return false;
    }
    applyOwn(key, state, head, last, payloads);
    return true;
  }

  /**
   * Applies entries this process just appended, saving a read of the log: the append was
   * conditional on {@code head}, so they are the entries that follow it, numbered up to {@code
   * last}. Skipped if another thread has already brought the value further.
   */
  private void applyOwn(String key, S state, long head, long last, List<byte[]> payloads) {
    synchronized (state) {
      if (state.head() != head) {
        return;
      }
      List<LogEntry> entries = new java.util.ArrayList<>(payloads.size());
      long seq = last - payloads.size() + 1;
      for (byte[] p : payloads) {
        entries.add(new LogEntry(key, seq++, p));
      }
      state.apply(entries);
      reweigh(key, state);
    }
  }

  /** Under the value's monitor, after it changed: the cache learns its new weight. */
  private void reweigh(String key, S state) {
    cache.asMap().replace(key, state, state);
  }

  /** The estimated memory the cached values take, in bytes. */
  public long cachedWeight() {
    cache.cleanUp();
    return cache.policy().eviction().orElseThrow().weightedSize().orElseThrow();
  }

  /** Drops every cached value (after the logs were rewritten by this process). */
  public void invalidate() {
    cache.invalidateAll();
  }

  @Override
  public void close() {
    cache.invalidateAll();
    backend.close();
  }
}
