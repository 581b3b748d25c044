package dev.cairn.shared;

import dev.cairn.spi.LogEntry;
import java.util.List;

/** How a shared object's patches get their place in its log and reach every replica. */
interface SharedChannel extends AutoCloseable {

  /**
   * Sends the payload {@code register} makes to be ordered. {@code register} runs under the
   * channel's send lock, so that a payload is sent once: either now or, if it raced with a
   * reconnection, as one of the {@link Sink#unconfirmed()} resent afterwards.
   */
  void submit(java.util.function.Supplier<byte[]> register);

  /** Whether this process orders the patches (always true for a channel without a host). */
  boolean isHost();

  @Override
  void close();

  /** The replica a channel serves. */
  interface Sink {
    /** Applies what the log holds beyond the replica's head; returns the entries applied. */
    List<LogEntry> catchUp();

    /** Applies entries streamed in log order; those at or below the head are ignored. */
    void deliver(List<LogEntry> entries);

    /** Appends payloads right after the head, catching up first if the log moved. */
    List<LogEntry> appendOrdered(List<byte[]> payloads);

    /** Appends payloads wherever the log ends, then catches up. */
    void appendAnywhere(List<byte[]> payloads);

    /** Payloads submitted and not yet in the log, in submission order. */
    List<byte[]> unconfirmed();

    /** Payloads that could not be appended. */
    void failed(List<byte[]> payloads, RuntimeException e);
  }
}
