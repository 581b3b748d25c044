package dev.cairn.engine;

import com.github.benmanes.caffeine.cache.Cache;
import dev.cairn.spi.Backend;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A store's meters in a Micrometer registry, every name under {@code cairn.} and tagged {@code
 * store} with the name the user gave (never the location: it may hold a password); docs/metrics.md
 * lists them.
 */
public final class MicrometerMetrics implements Metrics {
  private final MeterRegistry registry;
  private final Tags tags;
  private final Timer appends;
  private final Counter appendedEntries;
  private final Timer refusals;
  private final Counter conflicts;
  private final Counter retries;
  private final Counter contentions;
  private final Timer compactions;
  private final DistributionSummary reclaimed;

  private MicrometerMetrics(MeterRegistry registry, String store) {
    this.registry = registry;
    this.tags = Tags.of("store", store);
    appends =
        Timer.builder("cairn.appends")
            .description("conditional appends that stored their entries, and their round trip")
            .tags(tags)
            .register(registry);
    appendedEntries =
        Counter.builder("cairn.appended.entries")
            .description("entries stored by appends")
            .tags(tags)
            .register(registry);
    refusals =
        Timer.builder("cairn.appends.refused")
            .description("conditional appends that found the log moved on: another writer won")
            .tags(tags)
            .register(registry);
    conflicts =
        Counter.builder("cairn.conflicts")
            .description("writes refused with ConflictException: the caller's _rev was not current")
            .tags(tags)
            .register(registry);
    retries =
        Counter.builder("cairn.scoped.retries")
            .description("runs of a scoped function again: its value was not current")
            .tags(tags)
            .register(registry);
    contentions =
        Counter.builder("cairn.scoped.contention")
            .description("scoped calls that gave up with ContentionException")
            .tags(tags)
            .register(registry);
    compactions =
        Timer.builder("cairn.compactions")
            .description("compactions run")
            .tags(tags)
            .register(registry);
    reclaimed =
        DistributionSummary.builder("cairn.compaction.reclaimed")
            .description("bytes a compaction gave back")
            .baseUnit("bytes")
            .tags(tags)
            .register(registry);
  }

  /**
   * Meters into {@code registry}, tagged {@code store=}{@code store}; typed as {@link Metrics} so
   * that callers never load this class unless they meter.
   */
  public static Metrics of(MeterRegistry registry, String store) {
    return new MicrometerMetrics(registry, store);
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public void appended(int entries, long nanos) {
    appends.record(nanos, TimeUnit.NANOSECONDS);
    appendedEntries.increment(entries);
  }

  @Override
  public void refused(long nanos) {
    refusals.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void conflict() {
    conflicts.increment();
  }

  @Override
  public void retried() {
    retries.increment();
  }

  @Override
  public void contended() {
    contentions.increment();
  }

  @Override
  public void compacted(long bytesBefore, long bytesAfter, long nanos) {
    compactions.record(nanos, TimeUnit.NANOSECONDS);
    reclaimed.record(Math.max(0, bytesBefore - bytesAfter));
  }

  @Override
  public void cache(Cache<?, ?> cache) {
    CaffeineCacheMetrics.monitor(registry, cache, "cairn.documents", tags);
  }

  @Override
  public void watch(Backend backend, LongSupplier feedLag) {
    Gauge.builder("cairn.feed.lag", () -> feedLag.getAsLong()) // held strongly, unlike a state
        .description("entries appended that change listeners have not been given yet")
        .baseUnit("entries")
        .tags(tags)
        .register(registry);
    if (backend.syncCounts() == null) {
      return;
    }
    FunctionTimer.builder(
            "cairn.fsyncs",
            backend,
            b -> b.syncCounts().syncs(),
            b -> b.syncCounts().syncNanos(),
            TimeUnit.NANOSECONDS)
        .description("fsyncs of the store's log by this process, and their time")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder("cairn.fsync.appends", backend, b -> b.syncCounts().appends())
        .description(
            "appends of this process that waited for an fsync: over cairn.fsyncs, the group size")
        .tags(tags)
        .register(registry);
  }

  @Override
  public void close() {
    for (Meter meter : registry.getMeters()) {
      Meter.Id id = meter.getId();
      boolean ours =
          id.getName().startsWith("cairn.") || "cairn.documents".equals(id.getTag("cache"));
      if (ours && tags.stream().allMatch(t -> t.getValue().equals(id.getTag(t.getKey())))) {
        registry.remove(meter);
      }
    }
  }
}
