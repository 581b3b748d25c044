package dev.cairn.jdbc;

import static org.awaitility.Awaitility.await;

import dev.cairn.Subscription;
import dev.cairn.spi.Backend;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener of a backend's appends that, on every wake-up, reads one log, as a shared object's
 * replica does, and records whether it found an entry there. Open once it has been woken the first
 * time (a watch starts with one wake-up).
 */
final class ReadingListener implements AutoCloseable {
  final AtomicInteger wakes = new AtomicInteger();
  final AtomicBoolean sawEntry = new AtomicBoolean();
  private final Subscription subscription;

  ReadingListener(Backend backend, String key) {
    subscription =
        backend.watch(
            () -> {
              wakes.incrementAndGet();
              if (!backend.read(key, 0).isEmpty()) {
                sawEntry.set(true);
              }
            });
    await().atMost(Duration.ofSeconds(30)).until(() -> wakes.get() > 0);
  }

  @Override
  public void close() {
    subscription.close();
  }
}
