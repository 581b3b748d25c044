package dev.cairn.file;

import dev.cairn.Durability;
import dev.cairn.Subscription;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The {@code file:} backend: one handle on a store directory that any number of processes share.
 * The storage itself, and its on-disk format, is described in {@link FileLog}.
 */
public final class FileBackend implements Backend {
  /**
   * The folder of a store directory that holds what shared objects need beside the log: the lock
   * that elects each one's host, and the host's socket.
   */
  public static final String SHARED_DIRECTORY = "shared";

  private final FileLog log;
  private final Path dir;
  private final boolean sync;
  private boolean closed;

  public FileBackend(Path dir, Durability durability, boolean create) {
    this.dir = dir.toAbsolutePath().normalize();
    this.log = FileLog.acquire(this.dir, create);
    this.sync = durability == Durability.SYNC;
  }

  @Override
  public String location() {
    return dir.toUri().toString();
  }

  @Override
  public java.util.Optional<Path> localDirectory() {
    return java.util.Optional.of(dir);
  }

  @Override
  public String storeId() {
    return log.storeId();
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq) {
    return log.read(key, afterSeq, Integer.MAX_VALUE);
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq, int limit) {
    return log.read(key, afterSeq, limit);
  }

  @Override
  public long head(String key) {
    return log.head(key);
  }

  @Override
  public long append(String key, long expectedHead, List<byte[]> payloads) {
    return log.append(key, expectedHead, payloads, sync);
  }

  @Override
  public List<String> keys() {
    return log.keys();
  }

  @Override
  public List<String> keys(String prefix) {
    return log.keys(prefix);
  }

  @Override
  public long lastSequence() {
    return log.lastSequence();
  }

  @Override
  public List<LogEntry> changes(long since, int limit) {
    return log.changes(since, limit);
  }

  @Override
  public long epoch() {
    return log.epoch();
  }

  @Override
  public Subscription watch(Runnable onAppend) {
    return log.watch(onAppend);
  }

  @Override
  public long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep) {
    return log.compact(keep);
  }

  @Override
  public SyncCounts syncCounts() {
    return log.syncCounts();
  }

  @Override
  public long sizeOnDisk() {
    return log.sizeOnDisk();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      log.release();
    }
  }
}
