package dev.cairn.engine;

import com.github.benmanes.caffeine.cache.Cache;
import java.util.function.LongSupplier;

/**
 * What a store tells its meters. {@link #NONE} unless the user gave a registry ({@code
 * Cairn.Builder#metrics}): then {@link MicrometerMetrics}, the one class that names Micrometer, so
 * that Micrometer stays an optional dependency.
 */
public interface Metrics {
  /** Meters nothing, at no cost. */
  Metrics NONE = new Metrics() {};

  /** Whether anything is metered: caches record their statistics only then. */
  default boolean enabled() {
    return false;
  }

  /** A conditional append stored its entries, taking {@code nanos} (one round trip). */
  default void appended(int entries, long nanos) {}

  /** A conditional append found the log moved on: another writer got there first. */
  default void refused(long nanos) {}

  /** A write was refused with a {@code ConflictException}: the caller's revision is not current. */
  default void conflict() {}

  /** {@code scoped} runs its function again: its append found the value was not current. */
  default void retried() {}

  /** {@code scoped} gave up with a {@code ContentionException}. */
  default void contended() {}

  /** A compaction ran. */
  default void compacted(long bytesBefore, long bytesAfter, long nanos) {}

  /** Watches the engine's cache of reduced values. */
  default void cache(Cache<?, ?> cache) {}

  /**
   * Watches the backend's own counters (fsyncs) and the change feed: {@code feedLag} gives the
   * entries appended that change listeners have not been given yet.
   */
  default void watch(dev.cairn.spi.Backend backend, LongSupplier feedLag) {}

  /** The store closed: its meters leave the registry (they would hold it, and report nothing). */
  default void close() {}
}
