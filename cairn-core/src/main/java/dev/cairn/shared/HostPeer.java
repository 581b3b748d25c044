package dev.cairn.shared;

import dev.cairn.engine.Threads;
import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A connected process, as the host sees it: its patches in, the log's entries out. The socket is
 * non-blocking: entries are written by the thread that appended them, at once, and only what the
 * socket cannot take now waits for this peer's thread, so a slow process never holds up the host.
 */
final class HostPeer {
  private final SocketChannel ch;
  private final String name;
  private final Consumer<List<byte[]>> received;
  private final Consumer<HostPeer> closed;
  private final Selector selector;
  private final SelectionKey key;
  private final ArrayDeque<ByteBuffer> backlog = new ArrayDeque<>();
  private long backlogBytes;
  private ByteBuffer in = ByteBuffer.allocate(1 << 16);

  /**
   * @param received given the patches that arrived together, on this peer's thread
   * @param closed told when the connection ends, whichever side ended it
   */
  HostPeer(
      SocketChannel ch, String name, Consumer<List<byte[]>> received, Consumer<HostPeer> closed)
      throws IOException {
    this.ch = ch;
    this.name = name;
    this.received = received;
    this.closed = closed;
    ch.configureBlocking(false);
    this.selector = Selector.open();
    this.key = ch.register(selector, SelectionKey.OP_READ);
  }

  void start() {
    Threads.daemon("cairn-share-peer " + name, this::run).start();
  }

  void send(List<LogEntry> entries) {
    int size = 0;
    for (LogEntry e : entries) {
      size += 12 + e.payload().length;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    for (LogEntry e : entries) {
      out.putLong(e.seq()).putInt(e.payload().length).put(e.payload());
    }
    write(out.flip());
  }

  /** Writes what the socket takes now; the rest waits, in order, for this peer's thread. */
  synchronized void write(ByteBuffer out) {
    try {
      if (backlog.isEmpty()) {
        ch.write(out);
        if (!out.hasRemaining()) {
          return;
        }
      }
      backlog.add(out);
      backlogBytes += out.remaining();
      if (backlogBytes > HostChannel.MAX_BACKLOG_BYTES) {
        close(); // too slow to follow: it reconnects and reads the log itself
        return;
      }
      key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
      selector.wakeup();
    } catch (IOException | java.nio.channels.CancelledKeyException e) {
      close();
    }
  }

  private void run() {
    try {
      while (ch.isOpen()) {
        selector.select();
        if (key.isValid() && key.isReadable() && !readPatches()) {
          break;
        }
        if (key.isValid() && key.isWritable()) {
          writeBacklog();
        }
      }
    } catch (IOException
        | java.nio.channels.CancelledKeyException
        | java.nio.channels.ClosedSelectorException e) {
      // the process went away, or the host is leaving
    }
    close();
  }

  /** Reads the frames that arrived; false at the end of the stream. */
  private boolean readPatches() throws IOException {
    if (ch.read(in) < 0) {
      return false;
    }
    in.flip();
    List<byte[]> patches = new ArrayList<>();
    while (in.remaining() >= 4) {
      int length = in.getInt(in.position());
      if (length < 0 || length > HostChannel.MAX_FRAME) {
        throw new IOException("bad frame length " + length);
      }
      if (in.remaining() < 4 + length) {
        if (4 + length > in.capacity()) {
          ByteBuffer bigger = ByteBuffer.allocate(4 + length);
          bigger.put(in);
          bigger.flip();
          in = bigger;
        }
        break;
      }
      byte[] payload = new byte[length];
      in.getInt();
      in.get(payload);
      patches.add(payload);
    }
    in.compact();
    if (!patches.isEmpty()) {
      received.accept(patches); // all that arrived together goes in one batch
    }
    return true;
  }

  private synchronized void writeBacklog() throws IOException {
    while (!backlog.isEmpty()) {
      ByteBuffer b = backlog.peek();
      int before = b.remaining();
      ch.write(b);
      backlogBytes -= before - b.remaining();
      if (b.hasRemaining()) {
        return;
      }
      backlog.poll();
    }
    key.interestOps(SelectionKey.OP_READ);
  }

  void close() {
    closed.accept(this);
    try {
      ch.close();
      selector.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
