package dev.cairn.spi;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * {@link Backend#compact} for backends that rewrite one log at a time, such as a server that
 * removes entries by key (Redis, SQL): each log is read, the engine's {@code keep} chooses, and the
 * rest is removed unless the log moved meanwhile, in which case it is read again.
 */
public final class KeyByKeyCompaction {
  private KeyByKeyCompaction() {}

  /** Removes entries from one log if its head is still {@code head}; for {@link #run}. */
  @FunctionalInterface
  public interface Remover {
    /**
     * @param dropped the entries to remove
     * @param newHead the sequence number of the last entry kept, 0 if none
     * @return false if the log moved and nothing was removed
     */
    boolean removeIfUnmoved(String key, long head, long newHead, List<LogEntry> dropped);
  }

  /**
   * Compaction for backends that rewrite one log at a time: each log is read, {@code keep} chooses,
   * and the rest is removed unless the log moved meanwhile, in which case it is read again.
   *
   * @return the number of entries removed
   */
  public static long run(
      Backend backend, BiFunction<String, List<LogEntry>, List<LogEntry>> keep, Remover remover) {
    long removed = 0;
    for (String key : backend.keys()) {
      while (true) {
        long head = backend.head(key);
        List<LogEntry> entries = backend.read(key, 0);
        List<LogEntry> kept = keep.apply(key, List.copyOf(entries));
        if (kept.size() == entries.size()) {
          break;
        }
        Set<Long> keptSeqs = new HashSet<>();
        kept.forEach(e -> keptSeqs.add(e.seq()));
        List<LogEntry> dropped = new ArrayList<>();
        for (LogEntry e : entries) {
          if (!keptSeqs.contains(e.seq())) {
            dropped.add(e);
          }
        }
        long newHead = kept.isEmpty() ? 0 : kept.get(kept.size() - 1).seq();
        if (remover.removeIfUnmoved(key, head, newHead, dropped)) {
          removed += dropped.size();
          break;
        }
      }
    }
    return removed;
  }
}
