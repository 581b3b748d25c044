package dev.cairn.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Appends waiting in shared memory for whichever process holds the write lock: the cross-process
 * half of group commit. A writer copies its append into a free slot of {@code cairn.shm} and waits;
 * the process that holds the write lock (any writer that finds it free takes it) appends every
 * posted slot in one write, publishes the new end once, and marks the slots done. So appends from
 * every process of the machine join one group and one fsync, and a writer never queues in the
 * kernel for a lock.
 *
 * <h2>Slots, after the first 4096 bytes of {@code cairn.shm} (little-endian)</h2>
 *
 * <pre>
 *   0   8  phase: 0 free, 1 claimed, 2 posted, 3 taken, 4 done, 5 failed
 *   8   8  expected head of the key (or any head)
 *   16  4  1 if the writer waits for an fsync
 *   20  4  key length k
 *   24  4  number of payloads m
 *   28  4  length of the data
 *   32  8  result: the last sequence number appended, 0 if the condition failed
 *   40  8  result: generation &lt;&lt; 40 | end of the group that holds the append
 *   64     data: the key, then m times (4-byte length, payload); on failure, the message
 * </pre>
 *
 * <h2>Why nothing is lost or appended twice when a process dies</h2>
 *
 * <ul>
 *   <li>A writer holds an exclusive lock on its slot's first byte of {@code cairn.shm} from before
 *       it claims the slot until it frees it; the operating system releases it if the writer dies.
 *       A slot that is not free and whose byte can be locked by someone else therefore belongs to a
 *       dead writer: the process holding the write lock frees it (no one waits for its answer).
 *   <li>The appender records each slot's result and marks it <i>taken</i> before it writes, and
 *       marks it <i>done</i> only after it has published the new end, the commit point. If it dies
 *       in between, the next holder of the write lock finds taken slots: one whose group ends at or
 *       before the published end is done; one whose group ends after it was never published (the
 *       next append overwrites those bytes), so it is posted again and appended once.
 *   <li>Every change of a slot by anyone but its writer happens under the write lock.
 * </ul>
 */
final class AppendQueue {
  /** Where the slots begin in {@code cairn.shm}: after the page of hints. */
  static final int OFFSET = 4096;

  static final int SLOTS = 64;
  static final int SLOT_SIZE = 16 * 1024;
  static final long END = OFFSET + (long) SLOTS * SLOT_SIZE;

  static final int FREE = 0;
  static final int CLAIMED = 1;
  static final int POSTED = 2;
  static final int TAKEN = 3;
  static final int DONE = 4;
  static final int FAILED = 5;

  private static final int PHASE = 0;
  private static final int EXPECTED = 8;
  private static final int SYNC = 16;
  private static final int KEY_LENGTH = 20;
  private static final int COUNT = 24;
  private static final int DATA_LENGTH = 28;
  private static final int RESULT_SEQ = 32;
  private static final int RESULT_WORD = 40;
  private static final int DATA = 64;
  private static final int CAPACITY = SLOT_SIZE - DATA;
  private static final long SWEEP_EVERY_NANOS = 1_000_000_000L;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final FileChannel channel;
  private final MappedByteBuffer map;
  private final FileLock[] held = new FileLock[SLOTS]; // this process's writers' slot locks
  private final Thread[] waiting = new Thread[SLOTS]; // this process's writers, to wake them
  private volatile boolean sweepWanted = true;
  private long lastSweep; // under the write lock

  /** One append, as a writer asks for it and as the appender reads it back from a slot. */
  record Request(
      String key, byte[] keyBytes, long expectedHead, List<byte[]> payloads, boolean sync) {
    int dataLength() {
      int n = keyBytes.length;
      for (byte[] p : payloads) {
        n += 4 + p.length;
      }
      return n;
    }
  }

  /**
   * What became of an append.
   *
   * @param seq the last sequence number appended, 0 if the condition failed
   * @param word generation and end of the group that holds it
   * @param error why it failed, or null
   */
  record Outcome(long seq, long word, String error) {}

  AppendQueue(FileChannel channel) throws IOException {
    this.channel = channel;
    this.map = channel.map(FileChannel.MapMode.READ_WRITE, OFFSET, END - OFFSET);
    map.order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Whether a request fits in a slot; a larger one is appended by its writer under the lock. */
  static boolean fits(Request r) {
    return r.dataLength() <= CAPACITY;
  }

  /**
   * Copies {@code r} into a free slot and posts it.
   *
   * @return the slot, or -1 if none is free
   */
  int post(Request r) throws IOException {
    int start = ThreadLocalRandom.current().nextInt(SLOTS);
    for (int k = 0; k < SLOTS; k++) {
      int slot = (start + k) % SLOTS;
      if (phase(slot) != FREE) {
        continue;
      }
      FileLock lock = tryLock(slot);
      if (lock == null) {
        continue;
      }
      if (!LONGS.compareAndSet(map, base(slot) + PHASE, (long) FREE, (long) CLAIMED)) {
        lock.release(); // a dead writer's slot: the appender frees it
        continue;
      }
      held[slot] = lock;
      waiting[slot] = Thread.currentThread();
      int b = base(slot);
      map.putLong(b + EXPECTED, r.expectedHead());
      map.putInt(b + SYNC, r.sync() ? 1 : 0);
      map.putInt(b + KEY_LENGTH, r.keyBytes().length);
      map.putInt(b + COUNT, r.payloads().size());
      map.putInt(b + DATA_LENGTH, r.dataLength());
      int at = b + DATA;
      map.put(at, r.keyBytes());
      at += r.keyBytes().length;
      for (byte[] p : r.payloads()) {
        map.putInt(at, p.length);
        map.put(at + 4, p);
        at += 4 + p.length;
      }
      LONGS.setVolatile(map, b + PHASE, (long) POSTED);
      return slot;
    }
    sweepWanted = true;
    return -1;
  }

  int phase(int slot) {
    return (int) (long) LONGS.getVolatile(map, base(slot) + PHASE);
  }

  /** By the slot's writer, once it is done or failed: reads the outcome and frees the slot. */
  Outcome take(int slot) {
    int b = base(slot);
    String error = null;
    if (phase(slot) == FAILED) {
      byte[] message = new byte[map.getInt(b + DATA_LENGTH)];
      map.get(b + DATA, message);
      error = new String(message, StandardCharsets.UTF_8);
    }
    Outcome outcome = new Outcome(map.getLong(b + RESULT_SEQ), map.getLong(b + RESULT_WORD), error);
    waiting[slot] = null;
    FileLock lock = held[slot];
    held[slot] = null;
    LONGS.setVolatile(map, b + PHASE, (long) FREE);
    releaseQuietly(lock);
    return outcome;
  }

  // ---- by the holder of the write lock ----

  /**
   * Settles what a dead appender or writer left: taken slots become done if their group was
   * published (it ends at or before {@code published}, a word of generation and end), else posted
   * again; and, every second or when a writer found no free slot, slots of dead writers are freed
   * (finding them costs a system call per busy slot).
   */
  void settle(long published) {
    long now = System.nanoTime();
    boolean sweep = sweepWanted || now - lastSweep > SWEEP_EVERY_NANOS;
    if (sweep) {
      sweepWanted = false;
      lastSweep = now;
    }
    for (int slot = 0; slot < SLOTS; slot++) {
      int phase = phase(slot);
      if (phase == FREE) {
        continue;
      }
      int b = base(slot);
      if (phase == TAKEN) {
        long word = map.getLong(b + RESULT_WORD);
        LONGS.setVolatile(map, b + PHASE, (long) (word <= published ? DONE : POSTED));
      }
      if (sweep && held[slot] == null) {
        FileLock lock = tryLock(slot);
        if (lock != null) { // its writer is dead
          LONGS.setVolatile(map, b + PHASE, (long) FREE);
          releaseQuietly(lock);
        }
      }
    }
  }

  /** The posted slots, in slot order. */
  List<Integer> posted() {
    List<Integer> out = new ArrayList<>();
    for (int slot = 0; slot < SLOTS; slot++) {
      if (phase(slot) == POSTED) {
        out.add(slot);
      }
    }
    return out;
  }

  Request request(int slot) {
    int b = base(slot);
    byte[] key = new byte[map.getInt(b + KEY_LENGTH)];
    map.get(b + DATA, key);
    int count = map.getInt(b + COUNT);
    List<byte[]> payloads = new ArrayList<>(count);
    int at = b + DATA + key.length;
    for (int i = 0; i < count; i++) {
      byte[] p = new byte[map.getInt(at)];
      map.get(at + 4, p);
      payloads.add(p);
      at += 4 + p.length;
    }
    return new Request(
        new String(key, StandardCharsets.UTF_8),
        key,
        map.getLong(b + EXPECTED),
        payloads,
        map.getInt(b + SYNC) != 0);
  }

  /** Records a slot's result before its group is written. */
  void taken(int slot, long seq, long word) {
    int b = base(slot);
    map.putLong(b + RESULT_SEQ, seq);
    map.putLong(b + RESULT_WORD, word);
    LONGS.setVolatile(map, b + PHASE, (long) TAKEN);
  }

  /** After the group was published. */
  void done(int slot) {
    LONGS.setVolatile(map, base(slot) + PHASE, (long) DONE);
    wake(slot);
  }

  /** Nothing of the slot's group was published. */
  void failed(int slot, String message) {
    int b = base(slot);
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(bytes.length, CAPACITY);
    map.put(b + DATA, bytes, 0, length);
    map.putInt(b + DATA_LENGTH, length);
    map.putLong(b + RESULT_SEQ, 0);
    LONGS.setVolatile(map, b + PHASE, (long) FAILED);
    wake(slot);
  }

  private void wake(int slot) {
    Thread t = waiting[slot];
    if (t != null
        && t != Thread.currentThread()) { // a permit left to itself would cut its next park short
      LockSupport.unpark(t);
    }
  }

  private static int base(int slot) {
    return slot * SLOT_SIZE;
  }

  private FileLock tryLock(int slot) {
    try {
      return channel.tryLock(OFFSET + (long) slot * SLOT_SIZE, 1, false);
    } catch (OverlappingFileLockException e) {
      return null; // another thread of this process holds it
    } catch (IOException e) {
      return null;
    }
  }

  private static void releaseQuietly(FileLock lock) {
    try {
      lock.release();
    } catch (IOException e) {
      // the channel is closing; the lock goes with it
    }
  }
}
