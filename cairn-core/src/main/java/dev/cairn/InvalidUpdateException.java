package dev.cairn;

/**
 * An update document (MongoDB update operators) that cannot be applied: an unknown operator, a
 * malformed argument, conflicting paths, or a value of the wrong type at a path. The update is
 * rejected whole: nothing of it is applied.
 */
public class InvalidUpdateException extends InvalidDocumentException {
  private static final long serialVersionUID = 1L;

  public InvalidUpdateException(String message) {
    super(message);
  }

  public InvalidUpdateException(String message, Throwable cause) {
    super(message, cause);
  }
}
