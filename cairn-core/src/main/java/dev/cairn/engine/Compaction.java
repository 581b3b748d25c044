package dev.cairn.engine;

import dev.cairn.CompactionResult;
import dev.cairn.spi.Backend;
import java.util.EnumMap;
import java.util.Map;

/** One compaction of a whole store: every log rewritten to what its kind's retention keeps. */
public final class Compaction {
  private final EnumMap<LogKind, Retention> retentions;

  /**
   * @param retentions a retention for every kind of log
   * @throws IllegalArgumentException if a kind has none
   */
  public Compaction(Map<LogKind, Retention> retentions) {
    this.retentions = new EnumMap<>(LogKind.class);
    this.retentions.putAll(retentions);
    for (LogKind kind : LogKind.values()) {
      if (this.retentions.get(kind) == null) {
        throw new IllegalArgumentException("no retention for logs of kind " + kind);
      }
    }
  }

  /** Prepares every kind, then rewrites the store's logs to what each kind keeps. */
  public CompactionResult run(Backend backend) {
    long before = backend.sizeOnDisk();
    retentions.values().stream().distinct().forEach(r -> r.prepare(backend));
    long removed = backend.compact((key, entries) -> retentions.get(LogKind.of(key)).kept(entries));
    return new CompactionResult(removed, before, backend.sizeOnDisk());
  }
}
