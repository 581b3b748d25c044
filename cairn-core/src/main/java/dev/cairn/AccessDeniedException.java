package dev.cairn;

/**
 * A password, secret or token was refused: the one in a store's location, or one a node was given.
 * Fix the credentials; retrying will not help. What a node tells a client is the same for every
 * reason, so that it learns nothing about other users; the message here says why, for the log of
 * whoever refused.
 */
public class AccessDeniedException extends InvalidLocationException {
  private static final long serialVersionUID = 1L;

  public AccessDeniedException(String message) {
    super(message);
  }

  public AccessDeniedException(String message, Throwable cause) {
    super(message, cause);
  }
}
