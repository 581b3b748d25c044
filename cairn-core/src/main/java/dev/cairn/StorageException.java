package dev.cairn;

/**
 * The storage underneath failed (an I/O error, a closed channel). Whether the write took effect is
 * stated by the method that threw: Cairn writes are atomic, so a write either is wholly in the log
 * or not at all.
 */
public class StorageException extends CairnException {
  private static final long serialVersionUID = 1L;

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
