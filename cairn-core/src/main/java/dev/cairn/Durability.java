package dev.cairn;

/** What a write has survived when the method that made it returns. */
public enum Durability {
  /**
   * The write is on stable storage (fsync) before the method returns: it survives a crash of the
   * process, of the operating system and a power loss. Concurrent writers, in this process and in
   * others, share fsyncs (group commit). The default.
   */
  SYNC,
  /**
   * The write is in the operating system's page cache before the method returns: it survives a
   * crash or {@code kill -9} of any process, but not a crash of the operating system or a power
   * loss, which may lose the most recent writes (never tear them: a torn tail is cut on open).
   */
  OS
}
