package dev.cairn;

/**
 * The location does not hold a Cairn store Cairn can open: it is not a Cairn store, it was written
 * by a newer format version, or its files are damaged beyond the torn tail a crash can leave.
 * Nothing was changed.
 */
public class StoreFormatException extends CairnException {
  private static final long serialVersionUID = 1L;

  public StoreFormatException(String message) {
    super(message);
  }
}
