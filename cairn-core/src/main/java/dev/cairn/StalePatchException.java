package dev.cairn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A conditional patch was rejected because a path it touches changed after the version its sender
 * saw. Nothing of it was applied, in any process. The current state is handed back so that the
 * sender can decide again.
 */
public class StalePatchException extends CairnException {
  private static final long serialVersionUID = 1L;

  private final long currentVersion;
  private final transient ObjectNode currentState;

  public StalePatchException(long seenVersion, long currentVersion, ObjectNode currentState) {
    super(
        "the patch was based on version %d, but what it touches changed since (now version %d)"
            .formatted(seenVersion, currentVersion));
    this.currentVersion = currentVersion;
    this.currentState = currentState;
  }

  /** The object's version when the patch was judged. */
  public long currentVersion() {
    return currentVersion;
  }

  /** The object's state when the patch was judged (a copy the caller owns). */
  public ObjectNode currentState() {
    return currentState;
  }
}
