package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.Subscription;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backend SPI's contract ({@link Backend}), checked on a real store through two handles, as two
 * processes would hold it. Every backend module runs it, the {@code cairn+http} client included:
 * what its not exactly-once appends may do after a lost answer is the one thing not checked here.
 */
public abstract class BackendContract {
  protected Backend first;
  protected Backend second;

  /** Opens a handle on a new, empty store, the same store each time within one test. */
  protected abstract Backend open();

  /** Removes what the test's store left on a server (tables, keys); the handles are closed. */
  protected void drop() {}

  @BeforeEach
  protected void openTwice() throws Exception {
    first = open();
    second = open();
  }

  @AfterEach
  protected void closeAndDrop() {
    first.close();
    second.close();
    drop();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> texts(List<LogEntry> entries) {
    return entries.stream().map(e -> new String(e.payload(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void anAppendTakesEffectOnlyWhereTheLogStillEnds() {
    long a = first.append("k", 0, List.of(bytes("a")));
    assertThat(a).isPositive();
    assertThat(second.append("k", 0, List.of(bytes("stale")))).as("the head moved").isZero();
    long c = second.append("k", a, List.of(bytes("b"), bytes("c")));
    assertThat(c).isGreaterThan(a);

    List<LogEntry> log = first.read("k", 0);
    assertThat(texts(log)).containsExactly("a", "b", "c");
    assertThat(log).allSatisfy(e -> assertThat(e.key()).isEqualTo("k"));
    assertThat(log.get(0).seq()).isEqualTo(a);
    assertThat(log.get(2).seq()).isEqualTo(c);
    assertThat(log.get(1).seq()).isBetween(a + 1, c - 1);
    assertThat(texts(second.read("k", a))).containsExactly("b", "c");
    assertThat(texts(second.read("k", a, 1))).containsExactly("b");
    assertThat(first.head("k")).isEqualTo(c);
    assertThat(second.position("k").head()).isEqualTo(c);
  }

  @Test
  void aRefusedAppendAnswersWithWhatTheCallerIsMissing() {
    long a = first.append("k", 0, List.of(bytes("a")));
    long c = second.append("k", a, List.of(bytes("b"), bytes("c")));
    first.append("other", 0, List.of(bytes("elsewhere")));

    Backend.AppendResult refused = first.appendOrRead("k", a, List.of(bytes("stale")));
    assertThat(refused.isAppended()).isFalse();
    assertThat(refused.missing()).isEqualTo(second.read("k", a));
    assertThat(texts(refused.missing())).containsExactly("b", "c");
    assertThat(refused.missing().get(1).seq()).isEqualTo(c);
    assertThat(refused.epoch()).isEqualTo(second.epoch());
    assertThat(texts(first.read("k", 0))).as("nothing appended").containsExactly("a", "b", "c");

    Backend.AppendResult fromNothing = second.appendOrRead("k", 0, List.of(bytes("stale")));
    assertThat(texts(fromNothing.missing())).containsExactly("a", "b", "c");
    assertThat(second.appendOrRead("new", 5, List.of(bytes("x"))).missing())
        .as("a log that was never written has nothing after any head")
        .isEmpty();
    assertThat(first.head("new")).isZero();

    Backend.AppendResult accepted = second.appendOrRead("k", c, List.of(bytes("d")));
    assertThat(accepted.isAppended()).isTrue();
    assertThat(accepted.last()).isGreaterThan(c).isEqualTo(first.head("k"));
    assertThat(texts(first.read("k", c))).containsExactly("d");
  }

  /**
   * Threads append to logs of their own through both handles while a reader follows the feed: it
   * sees every entry once, in increasing order, none skipped, even where appends to different logs
   * commit in another order than their numbers.
   */
  @Test
  void theChangeFeedSkipsNothingWhileAppendsToManyLogsRun() throws Exception {
    int threads = 4;
    int each = 60;
    long start = first.lastSequence();
    ConcurrentLinkedQueue<Long> appended = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Backend via = t % 2 == 0 ? first : second;
      String key = "log" + t;
      Thread w =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < each; i++) {
                    List<byte[]> payloads =
                        i % 5 == 0 ? List.of(bytes("x"), bytes("y")) : List.of(bytes("x"));
                    long last = via.append(key, Backend.ANY_HEAD, payloads);
                    for (int j = payloads.size() - 1; j >= 0; j--) {
                      appended.add(last - j);
                    }
                  }
                } catch (Throwable e) {
                  failures.add(e);
                }
              });
      writers.add(w);
      w.start();
    }
    List<Long> seen = new ArrayList<>();
    long since = start;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (writers.stream().anyMatch(Thread::isAlive) || since < second.lastSequence()) {
      for (LogEntry e : second.changes(since, 7)) {
        seen.add(e.seq());
        since = e.seq();
      }
      assertThat(System.nanoTime()).as("within 60 s").isLessThan(deadline);
    }
    for (Thread w : writers) {
      w.join();
    }
    assertThat(failures).isEmpty();
    assertThat(seen).as("increasing").isSorted().doesNotHaveDuplicates();
    assertThat(seen).containsExactlyInAnyOrderElementsOf(appended);
  }

  @Test
  void anUnconditionalAppendAlwaysTakesEffect() {
    long a = first.append("k", Backend.ANY_HEAD, List.of(bytes("a")));
    long b = second.append("k", Backend.ANY_HEAD, List.of(bytes("b")));
    assertThat(b).isGreaterThan(a);
    assertThat(texts(first.read("k", 0))).containsExactly("a", "b");
  }

  @Test
  void aLogThatWasNeverWrittenIsEmpty() {
    assertThat(first.head("nothing")).isZero();
    assertThat(first.read("nothing", 0)).isEmpty();
    assertThat(first.keys()).doesNotContain("nothing");
  }

  @Test
  void payloadsComeBackByteForByte() {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    byte[] large = new byte[300_000];
    new java.util.Random(7).nextBytes(large);
    first.append("k", 0, List.of(binary, large));
    List<LogEntry> log = second.read("k", 0);
    assertThat(log.get(0).payload()).isEqualTo(binary);
    assertThat(log.get(1).payload()).isEqualTo(large);
  }

  @Test
  void keysAreListedWholeAndByPrefix() {
    first.append("_oplog/c/t/p", 0, List.of(bytes("x")));
    first.append("_oplog/d/t/p", 0, List.of(bytes("x")));
    second.append("doc", 0, List.of(bytes("x")));
    assertThat(first.keys()).containsExactlyInAnyOrder("_oplog/c/t/p", "_oplog/d/t/p", "doc");
    assertThat(second.keys("_oplog/c/")).containsExactly("_oplog/c/t/p");
    assertThat(second.keys("_oplog/")).hasSize(2);
  }

  @Test
  void theChangeFeedHoldsEveryAppendInOrder() {
    long before = first.lastSequence();
    List<Long> appended = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Backend via = i % 2 == 0 ? first : second;
      appended.add(via.append("k" + i, 0, List.of(bytes("e" + i))));
    }
    assertThat(second.lastSequence()).isEqualTo(appended.get(4));
    List<LogEntry> feed = first.changes(before, 100);
    assertThat(feed).extracting(LogEntry::seq).containsExactlyElementsOf(appended);
    assertThat(feed).extracting(LogEntry::key).containsExactly("k0", "k1", "k2", "k3", "k4");
    assertThat(first.changes(before, 2))
        .extracting(LogEntry::seq)
        .containsExactly(appended.get(0), appended.get(1));
    assertThat(first.changes(appended.get(4), 10)).isEmpty();
  }

  @Test
  void aWatcherHearsOfAnotherHandlesAppend() throws Exception {
    Semaphore heard = new Semaphore(0);
    try (Subscription s = first.watch(heard::release)) {
      heard.drainPermits();
      second.append("k", Backend.ANY_HEAD, List.of(bytes("x")));
      assertThat(heard.tryAcquire(10, TimeUnit.SECONDS)).as("a notice within 10 s").isTrue();
    }
  }

  @Test
  void theStoreIdIsTheSameThroughEveryHandle() {
    first.append("k", 0, List.of(bytes("x")));
    assertThat(first.storeId()).isNotBlank().isEqualTo(second.storeId());
  }

  @Test
  void concurrentConditionalAppendsNeverBothTakeTheSamePlace() throws Exception {
    int threads = 4;
    int each = 25;
    AtomicLong won = new AtomicLong();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Backend via = t % 2 == 0 ? first : second;
      String name = "w" + t;
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < each; ) {
                    long head = via.head("counter");
                    if (via.append("counter", head, List.of(bytes(name + ":" + i))) != 0) {
                      won.incrementAndGet();
                      i++;
                    }
                  }
                } catch (Throwable e) {
                  failures.add(e);
                }
              });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join(Duration.ofMinutes(2).toMillis());
      assertThat(w.isAlive()).as("a writer is stuck").isFalse();
    }
    assertThat(failures).isEmpty();
    List<LogEntry> log = first.read("counter", 0);
    assertThat(won.get()).isEqualTo(threads * each);
    assertThat(log).hasSize(threads * each);
    Set<String> distinct = new HashSet<>(texts(log));
    assertThat(distinct).hasSize(threads * each);
  }
}
