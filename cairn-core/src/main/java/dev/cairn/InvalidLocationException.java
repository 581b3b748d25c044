package dev.cairn;

/** A store location that cannot be parsed, names an unknown scheme, or cannot be opened. */
public class InvalidLocationException extends CairnException {
  private static final long serialVersionUID = 1L;

  public InvalidLocationException(String message) {
    super(message);
  }

  public InvalidLocationException(String message, Throwable cause) {
    super(message, cause);
  }
}
