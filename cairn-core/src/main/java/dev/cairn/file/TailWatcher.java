package dev.cairn.file;

import dev.cairn.Subscription;
import dev.cairn.spi.Watchers;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Tells a store's watchers of appends, by this process ({@link #fire}) and by others: a thread,
 * running while anyone watches, follows the published end in {@code cairn.shm}, woken by the kernel
 * when a file of the directory is written (a notice after each publication) and checking at least
 * every 100 ms in case a notice was lost; where the file system gives no notices, every
 * millisecond.
 */
final class TailWatcher {
  private final Path dir;
  private final SharedMemory shm;
  private final Watchers watchers = new Watchers();
  private Thread thread; // guarded by this
  private volatile WatchService events;

  TailWatcher(Path dir, SharedMemory shm) {
    this.dir = dir;
    this.shm = shm;
  }

  synchronized Subscription watch(Runnable onAppend) {
    Subscription registration = watchers.add(onAppend);
    if (thread == null) {
      thread = new Thread(this::follow, "cairn-watch " + dir.getFileName());
      thread.setDaemon(true);
      thread.start();
    }
    return registration;
  }

  /** Tells every watcher of an append by this process. */
  void fire() {
    watchers.fire();
  }

  /** Drops every watcher; the thread ends. */
  void close() {
    watchers.clear();
    WatchService e = events;
    if (e != null) {
      LogFiles.closeQuietly(e); // wakes the thread
    }
  }

  /** Whether the thread goes on; if not, it is gone as far as {@link #watch} knows. */
  private synchronized boolean stillWatched() {
    if (watchers.isEmpty()) {
      thread = null;
      return false;
    }
    return true;
  }

  private void follow() {
    shm.watching(1);
    try (WatchService service = dir.getFileSystem().newWatchService()) {
      events = service;
      dir.register(service, StandardWatchEventKinds.ENTRY_MODIFY);
      long seen = shm.published();
      while (stillWatched()) {
        WatchKey key = service.poll(100, TimeUnit.MILLISECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
        long now = shm.published();
        if (now != seen) {
          seen = now;
          watchers.fire();
        }
      }
    } catch (IOException e) {
      poll(); // no kernel notices here
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // the store was closed
    } finally {
      events = null;
      shm.watching(-1);
      synchronized (this) {
        if (thread == Thread.currentThread()) {
          thread = null;
        }
      }
    }
  }

  private void poll() {
    long seen = shm.published();
    while (stillWatched()) {
      long now = shm.published();
      if (now != seen) {
        seen = now;
        watchers.fire();
      }
      LockSupport.parkNanos(1_000_000);
    }
  }
}
