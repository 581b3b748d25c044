package dev.cairn.memory;

import dev.cairn.Subscription;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import dev.cairn.spi.Watchers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;

/** Keyed logs in this process's memory ({@code mem:}): for tests and throw-away stores. */
public final class MemoryBackend implements Backend {
  private final String location;
  private final String storeId = UUID.randomUUID().toString();
  private final Map<String, List<LogEntry>> logs = new HashMap<>();
  private final List<LogEntry> bySeq = new ArrayList<>();
  private final Watchers watchers = new Watchers();
  private long lastSeq;
  private long epoch;

  public MemoryBackend(String location) {
    this.location = location;
  }

  @Override
  public String location() {
    return location;
  }

  @Override
  public String storeId() {
    return storeId;
  }

  @Override
  public synchronized List<LogEntry> read(String key, long afterSeq) {
    List<LogEntry> log = logs.getOrDefault(key, List.of());
    List<LogEntry> out = new ArrayList<>();
    for (LogEntry e : log) {
      if (e.seq() > afterSeq) {
        out.add(e);
      }
    }
    return out;
  }

  @Override
  public synchronized long head(String key) {
    List<LogEntry> log = logs.get(key);
    return log == null || log.isEmpty() ? 0 : log.get(log.size() - 1).seq();
  }

  @Override
  public long append(String key, long expectedHead, List<byte[]> payloads) {
    long last;
    synchronized (this) {
      if (expectedHead != ANY_HEAD && head(key) != expectedHead) {
        return 0;
      }
      List<LogEntry> log = logs.computeIfAbsent(key, k -> new ArrayList<>());
      for (byte[] p : payloads) {
        LogEntry e = new LogEntry(key, ++lastSeq, p.clone());
        log.add(e);
        bySeq.add(e);
      }
      last = lastSeq; // read here: another thread may append before this returns
    }
    watchers.fire();
    return last;
  }

  @Override
  public synchronized List<String> keys() {
    return new ArrayList<>(logs.keySet());
  }

  @Override
  public synchronized long lastSequence() {
    return lastSeq;
  }

  @Override
  public synchronized List<LogEntry> changes(long since, int limit) {
    int from = firstAfter(bySeq, since);
    return new ArrayList<>(bySeq.subList(from, Math.min(bySeq.size(), from + limit)));
  }

  @Override
  public synchronized long epoch() {
    return epoch;
  }

  @Override
  public Subscription watch(Runnable onAppend) {
    return watchers.add(onAppend);
  }

  @Override
  public synchronized long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep) {
    long removed = 0;
    for (Map.Entry<String, List<LogEntry>> log : logs.entrySet()) {
      List<LogEntry> kept = new ArrayList<>(keep.apply(log.getKey(), List.copyOf(log.getValue())));
      removed += log.getValue().size() - kept.size();
      log.setValue(kept);
    }
    bySeq.clear();
    logs.values().forEach(bySeq::addAll);
    bySeq.sort((a, b) -> Long.compare(a.seq(), b.seq()));
    epoch++;
    return removed;
  }

  @Override
  public void close() {
    watchers.clear();
  }

  /** Index of the first entry with a sequence number above {@code since} in a seq-ordered list. */
  private static int firstAfter(List<LogEntry> bySeq, long since) {
    int lo = 0;
    int hi = bySeq.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (bySeq.get(mid).seq() <= since) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
