package dev.cairn;

/** The document, or the revision of it that was named, does not exist (or is deleted). */
public class NotFoundException extends CairnException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(message);
  }
}
