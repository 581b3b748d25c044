package dev.cairn;

/**
 * A server a store lives on is down, cannot be reached, or did not answer in time: try again later.
 * What the call would have written was not acknowledged; where it may still have taken effect (an
 * answer lost on the way back), the message says so. Compare {@link InvalidLocationException}: a
 * location, password or token that is wrong and needs fixing, not retrying.
 */
public class UnavailableException extends CairnException {
  private static final long serialVersionUID = 1L;

  public UnavailableException(String message) {
    super(message);
  }

  public UnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
