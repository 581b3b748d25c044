package dev.cairn.engine;

import dev.cairn.CompactionResult;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.util.EnumMap;
import java.util.List;
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

  /**
   * What {@link #run} would drop now, read without preparing or rewriting anything: one read of
   * every log, so it costs about what a compaction's reading does.
   */
  public Estimate estimate(Backend backend) {
    long logs = 0;
    long entries = 0;
    long bytes = 0;
    long droppedEntries = 0;
    long droppedBytes = 0;
    for (String key : backend.keys()) {
      List<LogEntry> log = backend.read(key, 0);
      List<LogEntry> kept = retentions.get(LogKind.of(key)).kept(log);
      long size = payloadBytes(log);
      logs++;
      entries += log.size();
      bytes += size;
      droppedEntries += log.size() - kept.size();
      droppedBytes += size - payloadBytes(kept);
    }
    return new Estimate(logs, entries, bytes, droppedEntries, droppedBytes);
  }

  /** A store's logs, entries and payload bytes, and how many of those a compaction drops. */
  public record Estimate(
      long logs, long entries, long bytes, long droppedEntries, long droppedBytes) {}

  private static long payloadBytes(List<LogEntry> log) {
    long n = 0;
    for (LogEntry e : log) {
      n += e.payload().length;
    }
    return n;
  }
}
