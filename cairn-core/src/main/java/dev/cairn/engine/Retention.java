package dev.cairn.engine;

import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.util.List;

/**
 * What compaction keeps of one kind of log. Each kind declares its own beside its entries' format
 * (documents, shared objects, oplogs); {@link Compaction} asks the kind of every log.
 */
public interface Retention {
  /** Keeps the last entry only: for logs whose last entry says everything (checkpoints). */
  Retention LAST = log -> log.isEmpty() ? log : log.subList(log.size() - 1, log.size());

  /**
   * The entries to keep of one log, in their order; what is dropped must not change what the log
   * reduces to for anyone who reads it from now on.
   */
  List<LogEntry> kept(List<LogEntry> log);

  /**
   * Called before the logs are rewritten, while other processes may still append: a kind may append
   * what lets it drop more (a shared object's snapshot).
   */
  default void prepare(Backend backend) {}
}
