package dev.cairn.oplog;

import dev.cairn.engine.Retention;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What a store's compaction keeps of an oplog: the best checkpoint and what it does not cover. */
public final class Pruning {
  /** The retention of oplogs: {@link #kept}. */
  public static final Retention RETENTION = Pruning::kept;

  private Pruning() {}

  /** The entries to keep, in their order: each operation once, and one checkpoint. */
  public static List<LogEntry> kept(List<LogEntry> entries) {
    Checkpoint best = null;
    for (LogEntry e : entries) {
      if (Entries.decode(e.payload()) instanceof Checkpoint cp
          && (best == null || Reduction.BEST.compare(cp, best) > 0)) {
        best = cp;
      }
    }
    List<LogEntry> kept = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (LogEntry e : entries) {
      Object decoded = Entries.decode(e.payload());
      if (decoded instanceof Operation op) {
        if ((best == null || !best.covers(op)) && seen.add(op.sha())) {
          kept.add(e);
        }
      } else if (decoded.equals(best) && seen.add(best.sha())) {
        kept.add(e);
      }
    }
    return kept;
  }
}
