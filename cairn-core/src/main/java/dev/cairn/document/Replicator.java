package dev.cairn.document;

import dev.cairn.ReplicationResult;
import dev.cairn.engine.Engine;
import dev.cairn.engine.LogKind;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One-way replication of documents between any two backends. Revisions are self-describing and
 * named by their content, so replicating is a set union per document: each revision the target
 * lacks is appended to it, and both then pick the same winner. The source's change feed is read
 * from a checkpoint kept in the target, so a repeated replication reads only what is new.
 */
public final class Replicator {
  private static final int PAGE = 1000;

  private Replicator() {}

  /**
   * Copies what {@code source} has and {@code target} lacks.
   *
   * @param progress told the running totals after every page of the source's changes
   */
  public static ReplicationResult replicate(
      Engine<RevisionTree> source,
      Engine<RevisionTree> target,
      Consumer<ReplicationResult> progress) {
    Backend from = source.backend();
    Backend to = target.backend();
    String checkpointKey = LogKind.REPLICATION.key(from.storeId());
    long start = checkpoint(to, checkpointKey);
    long since = start;
    Set<String> documents = new HashSet<>();
    long revisions = 0;
    while (true) {
      List<LogEntry> page = from.changes(since, PAGE);
      if (page.isEmpty()) {
        break;
      }
      Map<String, List<byte[]>> byKey = new LinkedHashMap<>();
      for (LogEntry e : page) {
        if (LogKind.DOCUMENT.holds(e.key())) {
          byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e.payload());
        }
      }
      for (Map.Entry<String, List<byte[]>> e : byKey.entrySet()) {
        int copied = union(target, e.getKey(), e.getValue());
        if (copied > 0) {
          documents.add(e.getKey());
          revisions += copied;
        }
      }
      since = page.get(page.size() - 1).seq();
      progress.accept(new ReplicationResult(documents.size(), revisions, since));
    }
    if (since > start) {
      to.append(
          checkpointKey, Backend.ANY_HEAD, List.of(ByteBuffer.allocate(8).putLong(since).array()));
    }
    return new ReplicationResult(documents.size(), revisions, since);
  }

  /**
   * Adds to document {@code id} the revisions among {@code entries} (encoded revision entries, each
   * parent before its children) that it lacks, in one atomic append. A revision its tree has
   * forgotten (beyond the retained ones) but its log still holds is not added again.
   *
   * @return how many were added
   */
  public static int union(Engine<RevisionTree> target, String id, List<byte[]> entries) {
    RevisionTree current = target.state(id);
    boolean forgot;
    synchronized (current) {
      forgot = current.hasForgotten();
    }
    Set<String> inLog = new HashSet<>();
    if (forgot) { // rare: only a document written more than its retention is read whole here
      for (LogEntry e : target.backend().read(id, 0)) {
        inLog.add(RevisionEntry.header(e.payload()).rev());
      }
    }
    return target.write(
        id,
        tree -> {
          List<byte[]> missing = new ArrayList<>();
          Set<String> seen = new HashSet<>(inLog);
          for (byte[] p : entries) {
            String rev = RevisionEntry.header(p).rev();
            if (!tree.contains(rev) && seen.add(rev)) {
              missing.add(p);
            }
          }
          return new Engine.Decision<>(missing, missing.size());
        });
  }

  private static long checkpoint(Backend target, String key) {
    List<LogEntry> entries = target.read(key, 0);
    return entries.isEmpty()
        ? 0
        : ByteBuffer.wrap(entries.get(entries.size() - 1).payload()).getLong();
  }
}
