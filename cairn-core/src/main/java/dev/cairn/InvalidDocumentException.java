package dev.cairn;

/**
 * The input was rejected before anything was written: a malformed id, a body that is not a JSON
 * object, a malformed {@code _rev}, a document over the size limit.
 */
public class InvalidDocumentException extends CairnException {
  private static final long serialVersionUID = 1L;

  public InvalidDocumentException(String message) {
    super(message);
  }

  public InvalidDocumentException(String message, Throwable cause) {
    super(message, cause);
  }
}
