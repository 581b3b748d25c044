package dev.cairn.engine;

import dev.cairn.spi.Backend;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The one write loop of every kind of log: decide what to append from the log as last read, append
 * it only if the log still ends where the decision saw it, and otherwise read and decide again.
 * Every retry means another writer appended, so the loop cannot spin without the store moving
 * forward. Shared objects, backups and compaction's snapshots write through it; documents use
 * {@link Engine#write}, which also starts from a cached value and learns what it missed from the
 * refused append itself.
 */
public final class ConditionalAppend {
  private ConditionalAppend() {}

  /**
   * What one attempt decided.
   *
   * @param head the sequence number of the log's last entry the decision saw (0 for none)
   * @param payloads what to append after it, atomically; empty to append nothing
   * @param result what the write returns
   * @param appended told the sequence number of the last entry appended, once the append took
   *     effect (so that the writer can apply its own entries without reading them back)
   */
  public record Attempt<R>(long head, List<byte[]> payloads, R result, LongConsumer appended) {
    /** An attempt that appends nothing and returns {@code result}. */
    public static <R> Attempt<R> done(R result) {
      return new Attempt<>(0, List.of(), result, last -> {});
    }

    /** An attempt that appends {@code payloads} after {@code head}, then returns {@code result}. */
    public static <R> Attempt<R> append(long head, List<byte[]> payloads, R result) {
      return new Attempt<>(head, payloads, result, last -> {});
    }
  }

  /**
   * Runs attempts of {@code decide} on {@code key}'s log until one appends nothing or its append
   * takes effect.
   *
   * @return that attempt's result
   */
  public static <R> R run(Backend backend, String key, Supplier<Attempt<R>> decide) {
    while (true) {
      Attempt<R> attempt = decide.get();
      if (attempt.payloads().isEmpty()) {
        return attempt.result();
      }
      long last = backend.append(key, attempt.head(), attempt.payloads());
      if (last != 0) {
        attempt.appended().accept(last);
        return attempt.result();
      }
    }
  }
}
