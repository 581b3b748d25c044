package dev.cairn;

/**
 * The root of every exception Cairn throws on purpose. Unchecked: callers catch the specific
 * subclasses they can act on ({@link ConflictException}, {@link NotFoundException}, ...) and let
 * the rest travel.
 */
public class CairnException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CairnException(String message) {
    super(message);
  }

  public CairnException(String message, Throwable cause) {
    super(message, cause);
  }
}
