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
  private final Metrics metrics;
  private volatile long epoch;

  /**
   * @param cacheBytes the bound of the cached values' {@linkplain Reduction#weight weights}
   * @param metrics told of appends and refusals, and given the cache to watch
   */
  public Engine(Backend backend, Supplier<S> empty, long cacheBytes, Metrics metrics) {
    this.backend = backend;
    this.empty = empty;
    this.metrics = metrics;
    Caffeine<String, S> builder =
        Caffeine.newBuilder()
            .maximumWeight(cacheBytes)
            .weigher((String key, S s) -> (int) Math.min(Integer.MAX_VALUE, s.weight()))
            // upkeep on the writing thread: handing it to a pool on every write costs a wake-up
            .executor(Runnable::run);
    this.cache = metrics.enabled() ? builder.recordStats().build() : builder.build();
    metrics.cache(cache);
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
   * The cached value of {@code key} as it is, without asking the backend whether its log has moved
   * (so it may be behind), or null if none is cached: where a write starts, since its append is
   * conditional on the head it saw.
   */
  public S cached(String key) {
    return cache.getIfPresent(key);
  }

  /**
   * Lets {@code decide} choose what to append from the value and appends it only if the log has not
   * moved meanwhile; otherwise decides again on the value brought up to date by the refused
   * append's answer. {@code decide} runs under the value's monitor, may run more than once, and may
   * throw to abort the write.
   *
   * <p>The first decision is made on the cached value without asking the backend where the log
   * ends, so a write whose cached value is current takes one round trip. A decision to append
   * nothing or to throw is only final on a value known to be current: made on a cached one, it is
   * made again after a read.
   */
  public <R> R write(String key, Function<S, Decision<R>> decide) {
    S state = cached(key);
    boolean current = state == null;
    if (current) {
      state = state(key);
    }
    while (true) {
      long head;
      Decision<R> d;
      synchronized (state) {
        head = state.head();
        try {
          d = decide.apply(state);
        } catch (RuntimeException e) {
          if (current) {
            throw e;
          }
          state = state(key);
          current = true;
          continue;
        }
      }
      if (d.payloads().isEmpty()) {
        if (current) {
          return d.result();
        }
        state = state(key);
        current = true;
        continue;
      }
      Attempt<S> attempt = appendIf(key, state, head, d.payloads());
      if (attempt.appended()) {
        return d.result();
      }
      state = attempt.state();
      current = true;
    }
  }

  /**
   * What a conditional append did.
   *
   * @param appended whether the entries were appended
   * @param state the value with them applied, or, if the log had moved, brought up to where the
   *     refusal found it: current as of the attempt, to decide again on
   */
  public record Attempt<S>(boolean appended, S state) {}

  /**
   * Appends to {@code key}'s log if it still ends at {@code head}, where {@code state} was reduced;
   * for writers that decide outside the value's monitor (a user function may be slow). One round
   * trip either way: a refusal brings back the entries the value lacks.
   */
  public Attempt<S> appendIf(String key, S state, long head, List<byte[]> payloads) {
    long start = metrics.enabled() ? System.nanoTime() : 0; // no clock read unless metered
    Backend.AppendResult result = backend.appendOrRead(key, head, payloads);
    if (result.isAppended()) {
      metrics.appended(payloads.size(), System.nanoTime() - start);
      applyOwn(key, state, head, result.last(), payloads);
      return new Attempt<>(true, state);
    }
    metrics.refused(System.nanoTime() - start);
    if (result.epoch() != epoch || result.missing().isEmpty()) {
      cache.invalidate(key); // rewritten, or lost: reduce it again from what is there now
      return new Attempt<>(false, state(key));
    }
    synchronized (state) {
      List<LogEntry> lacking = new java.util.ArrayList<>(result.missing().size());
      for (LogEntry e : result.missing()) {
        if (e.seq() > state.head()) {
          lacking.add(e);
        }
      }
      if (!lacking.isEmpty()) {
        state.apply(lacking);
        reweigh(key, state);
      }
    }
    return new Attempt<>(false, state);
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
