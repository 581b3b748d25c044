package dev.cairn.shared;

import dev.cairn.engine.Threads;
import dev.cairn.spi.LogEntry;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A shared object ordered by one of the processes that share it, on one machine, with no server.
 *
 * <p><b>Election.</b> Every process runs a standby thread that blocks on an exclusive lock of
 * {@code shared/<hash>.lock} in the store's directory. The one that holds it is the host; the
 * operating system releases the lock when the host exits or is killed, and one waiting standby gets
 * it at once. Nothing is probed and nothing unlinked before the lock is held, so two hosts cannot
 * coexist.
 *
 * <p><b>Host.</b> It reads the log to its end, listens on a Unix domain socket, and appends the
 * patches it receives (its own and other processes') in batches, each right after the last entry it
 * knows, then streams the appended entries to every process. A patch is accepted only once it is in
 * the log, so a new host loses nothing its predecessor accepted.
 *
 * <p><b>Others.</b> They connect, are registered for the stream, read the log themselves up to its
 * end, and resend their patches that are not in it yet: that is also what they do after the host
 * changed. Entries they already have are skipped, so nothing is applied twice.
 */
final class HostChannel implements SharedChannel {
  /** The directory, inside a store's, of the shared objects' host locks and sockets. */
  static final String DIRECTORY = dev.cairn.file.FileBackend.SHARED_DIRECTORY;

  private static final byte WELCOME = 1;
  private static final int BATCH = 1000;
  static final int MAX_FRAME = 64 << 20;
  static final long MAX_BACKLOG_BYTES = 64L << 20;
  private static final int MAX_SOCKET_PATH = 100;

  /** Processes of one JVM take turns at the file lock, which Java holds per JVM, not per thread. */
  private static final Map<Path, Semaphore> TURNS = new ConcurrentHashMap<>();

  private final SharedChannel.Sink sink;
  private final String name;
  private final Path lockFile;
  private final Path socketFile;
  private final Semaphore turn;
  private final Object sendLock = new Object();
  private final LinkedBlockingDeque<byte[]> inbox = new LinkedBlockingDeque<>();

  /** Held by the one thread appending from the inbox; the others leave their patches to it. */
  private final ReentrantLock appending = new ReentrantLock();

  /** Wakes the retry thread early (when closing). */
  private final Semaphore retry = new Semaphore(0);

  private final List<HostPeer> peers = new CopyOnWriteArrayList<>();
  private final Thread standby;
  private final Thread follower;
  private volatile boolean closed;
  private volatile boolean host;
  private boolean hasTurn;
  private boolean elected;
  private FileChannel lockChannel;
  private FileLock lock;
  private ServerSocketChannel server;
  // the connection to the host, while not host; guarded by sendLock
  private SocketChannel connection;
  private DataOutputStream toHost;

  HostChannel(Path dir, String name, SharedChannel.Sink sink) {
    this.sink = sink;
    this.name = name;
    String hash = hash(name);
    Path sharedDir = dir.resolve(DIRECTORY);
    try {
      Files.createDirectories(sharedDir);
      this.lockFile = sharedDir.toRealPath().resolve(hash + ".lock");
    } catch (IOException e) {
      throw new dev.cairn.StorageException("cannot create " + sharedDir + ": " + e, e);
    }
    Path socket = lockFile.resolveSibling(hash + ".sock");
    this.socketFile =
        socket.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH
            ? socket
            : Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("cairn-" + hash(lockFile.toString()) + ".sock");
    this.turn = TURNS.computeIfAbsent(lockFile, f -> new Semaphore(1));
    this.standby = Threads.daemon("cairn-share-standby " + name, this::standBy);
    this.follower = Threads.daemon("cairn-share-follow " + name, this::follow);
    standby.start();
    follower.start();
  }

  private static String hash(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void submit(Supplier<byte[]> register) {
    boolean queued = false;
    synchronized (sendLock) {
      byte[] payload = register.get();
      if (host) {
        inbox.add(payload);
        queued = true;
      } else if (toHost != null) {
        try {
          writeFrame(toHost, payload);
          toHost.flush();
        } catch (IOException e) {
          dropConnection(connection); // resent once connected again
        }
      }
    }
    if (queued) {
      appendWaiting();
    }
  }

  @Override
  public boolean isHost() {
    return host;
  }

  // ---- election ----

  private void standBy() {
    try {
      turn.acquire();
      synchronized (this) {
        if (closed) {
          turn.release(); // closed while it waited: close() did not see it holding the turn
          return;
        }
        hasTurn = true;
        lockChannel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      }
      while (lock == null) {
        try {
          lock = lockChannel.lock();
        } catch (IOException e) {
          if (closed || !String.valueOf(e.getMessage()).contains("deadlock")) {
            throw e;
          }
          // EDEADLK: the kernel's deadlock detection is conservative across processes; wait again
        }
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        elected = true; // from here on this thread does I/O on the store: no more interrupts
        Thread.interrupted();
      }
      becomeHost();
    } catch (InterruptedException | IOException e) {
      if (!closed) {
        SharedReplica.warn("shared object " + name + " cannot stand for host", e);
      }
    }
  }

  private void becomeHost() throws IOException {
    synchronized (sendLock) {
      if (closed) {
        return;
      }
      host = true;
      dropConnection(connection);
      sink.catchUp(); // everything the previous host accepted is in the log
      inbox.addAll(sink.unconfirmed());
      Files.deleteIfExists(socketFile); // left by a host that was killed; we hold the lock
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socketFile));
      Threads.daemon("cairn-share-retry " + name, this::retryLoop).start();
      Threads.daemon("cairn-share-accept " + name, this::accept).start();
    }
  }

  // ---- host ----

  /**
   * Appends what waits in the inbox, in order, in batches, unless another thread is doing it: that
   * thread takes these patches too before it lets go. Whoever brings a patch appends it, so no
   * hand-over to another thread delays it.
   */
  private void appendWaiting() {
    while (!inbox.isEmpty() && !closed) {
      if (!appending.tryLock()) {
        return; // its holder checks the inbox again after it lets go
      }
      try {
        List<byte[]> batch = new ArrayList<>();
        inbox.drainTo(batch, BATCH);
        try {
          broadcast(sink.appendOrdered(batch));
        } catch (RuntimeException e) {
          for (int k = batch.size() - 1; k >= 0; k--) {
            inbox.addFirst(batch.get(k)); // keep the order for the retry
          }
          if (!closed) {
            // the store refused (disk full, say): the retry thread tries again shortly
            SharedReplica.warn("shared object " + name + ": appending patches failed", e);
          }
          return;
        }
      } finally {
        appending.unlock();
      }
    }
  }

  /** Appends what a failed append left behind, every 100 ms, until the store takes it. */
  private void retryLoop() {
    while (!closed) {
      try {
        retry.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      appendWaiting();
    }
  }

  private void broadcast(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    for (HostPeer p : peers) {
      p.send(entries);
    }
  }

  /** Patches a process sent, appended in one batch (with whatever else waits). */
  private void received(List<byte[]> patches) {
    if (!closed) {
      inbox.addAll(patches);
      appendWaiting();
    }
  }

  private void accept() {
    while (!closed) {
      try {
        HostPeer p = new HostPeer(server.accept(), name, this::received, peers::remove);
        synchronized (p) {
          // registered before welcomed, and nothing sent before the welcome: an entry appended
          // before it is in the log the process reads next, one appended after reaches it here
          peers.add(p);
          p.write(ByteBuffer.wrap(new byte[] {WELCOME}));
        }
        p.start();
      } catch (IOException e) {
        if (!closed) {
          SharedReplica.warn("shared object " + name + ": accepting a connection failed", e);
        }
        return;
      }
    }
  }

  // ---- following a host ----

  private void follow() {
    long backoffMillis = 1;
    while (!closed && !host) {
      SocketChannel ch;
      try {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      } catch (IOException e) {
        SharedReplica.warn("shared object " + name + ": cannot open a socket", e);
        return;
      }
      try {
        ch.connect(UnixDomainSocketAddress.of(socketFile));
        backoffMillis = 1;
        session(ch);
      } catch (IOException e) {
        // no host yet, or it went away: wait a little and look again
      } finally {
        dropConnection(ch);
      }
      synchronized (this) {
        if (closed || host) {
          return;
        }
        try {
          wait(backoffMillis);
        } catch (InterruptedException e) {
          return;
        }
      }
      backoffMillis = Math.min(50, backoffMillis * 2);
    }
  }

  private void session(SocketChannel ch) throws IOException {
    DataInputStream in = input(ch);
    if (in.readByte() != WELCOME) {
      throw new IOException("unexpected greeting from the host");
    }
    synchronized (sendLock) {
      if (closed || host) {
        return;
      }
      sink.catchUp();
      DataOutputStream out = output(ch);
      for (byte[] p : sink.unconfirmed()) {
        writeFrame(out, p);
      }
      out.flush();
      connection = ch;
      toHost = out;
    }
    List<LogEntry> batch = new ArrayList<>();
    while (!closed) {
      long seq = in.readLong();
      batch.add(new LogEntry(null, seq, readFrame(in)));
      if (in.available() == 0 || batch.size() >= BATCH) {
        sink.deliver(batch);
        batch.clear();
      }
    }
  }

  private void dropConnection(SocketChannel ch) {
    synchronized (sendLock) {
      if (ch != null && connection == ch) {
        connection = null;
        toHost = null;
      }
    }
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  // ---- framing ----

  // Not Channels.newInputStream/newOutputStream: those take one lock for reads and writes alike,
  // and a reader blocked waiting for data would stall every writer.
  private static DataInputStream input(SocketChannel ch) {
    InputStream raw =
        new InputStream() {
          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return ch.read(ByteBuffer.wrap(b, off, len));
          }
        };
    return new DataInputStream(new BufferedInputStream(raw, 1 << 16));
  }

  private static DataOutputStream output(SocketChannel ch) {
    OutputStream raw =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
              ch.write(buf);
            }
          }
        };
    return new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
  }

  private static void writeFrame(DataOutputStream out, byte[] payload) throws IOException {
    out.writeInt(payload.length);
    out.write(payload);
  }

  private static byte[] readFrame(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_FRAME) {
      throw new IOException("bad frame length " + length);
    }
    byte[] payload = new byte[length];
    in.readFully(payload);
    return payload;
  }

  // ---- leaving ----

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll(); // the follower, if it waits to reconnect
      if (!elected) {
        standby.interrupt(); // waiting for its turn or the lock, not touching the store
      }
    }
    synchronized (sendLock) {
      dropConnection(connection); // the follower, if it reads from the host
    }
    if (host) {
      retry.release();
      try {
        server.close();
      } catch (IOException e) {
        // closing anyway
      }
      peers.forEach(HostPeer::close);
      try {
        Files.deleteIfExists(socketFile); // still under the lock: the next host binds afresh
      } catch (IOException e) {
        // the next host deletes it
      }
    }
    try {
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      // the lock goes with the channel
    }
    synchronized (this) {
      if (hasTurn) {
        turn.release();
      }
    }
  }
}
