package dev.cairn.shared;

import dev.cairn.engine.FeedFollower;
import dev.cairn.engine.Threads;
import dev.cairn.spi.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;

/**
 * A shared object ordered by the backend itself: each process appends its patches to the log, in
 * the order it made them, and follows the backend's change feed. Used where there is no directory
 * on this machine to elect a host in (Redis, SQL, memory); works across machines.
 */
final class FeedChannel implements SharedChannel {
  private static final int BATCH = 1000;

  private final SharedChannel.Sink sink;
  private final LinkedBlockingQueue<byte[]> outbox = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final FeedFollower follower;
  private volatile boolean closed;

  FeedChannel(Backend backend, String name, SharedChannel.Sink sink) {
    this.sink = sink;
    this.writer = Threads.daemon("cairn-share-append " + name, this::appendLoop);
    writer.start();
    this.follower =
        new FeedFollower(
            backend,
            "cairn-share-follow " + name,
            sink::catchUp,
            "reading a shared object's log failed; retrying on the next change");
  }

  @Override
  public synchronized void submit(Supplier<byte[]> register) {
    outbox.add(register.get());
  }

  @Override
  public boolean isHost() {
    return true;
  }

  private void appendLoop() {
    List<byte[]> batch = new ArrayList<>();
    while (!closed) {
      try {
        batch.add(outbox.take());
      } catch (InterruptedException e) {
        return;
      }
      outbox.drainTo(batch, BATCH - 1);
      try {
        sink.appendAnywhere(batch);
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        sink.failed(batch, e);
      }
      batch.clear();
    }
  }

  @Override
  public void close() {
    closed = true;
    follower.close();
    writer.interrupt();
  }
}
