package dev.cairn;

/** What an update does when its {@code _rev} is a known revision but no longer the winner. */
public enum WriteMode {
  /** Fail with {@link ConflictException}; nothing is written. The default. */
  STRICT,
  /**
   * Store the write as a child of the revision the caller named, beside the current winner: a
   * conflict that {@link DocumentStore#conflicts(String)} lists and {@link
   * DocumentStore#resolve(String, String)} settles. Nothing is lost and nothing fails.
   */
  KEEP_BOTH
}
