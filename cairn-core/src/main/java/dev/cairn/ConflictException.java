package dev.cairn;

/**
 * A write lost a race or named a revision that is not the current one: the id already exists on
 * {@code create}, or the caller's {@code _rev} is not the winning revision on a strict update.
 * Nothing was written; read the document again and retry.
 */
public class ConflictException extends CairnException {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final String currentRev;

  public ConflictException(String id, String currentRev, String message) {
    super(message);
    this.id = id;
    this.currentRev = currentRev;
  }

  /** The id of the document that was in conflict. */
  public String id() {
    return id;
  }

  /** The winning revision at the time of the conflict, or {@code null} if there was none. */
  public String currentRev() {
    return currentRev;
  }
}
