package dev.cairn;

import java.util.List;

/**
 * Bytes of a store's log that do not read as whole appends.
 *
 * @param file the log file
 * @param from the first byte of the range
 * @param to the first byte after it: where the next whole append begins, or the end of the data
 * @param what what is wrong at {@code from}
 * @param ids the documents and other keys that records in the range name, as far as their framing
 *     can still be read; keys read from records whose checksum fails are a best guess
 */
public record DamagedRange(String file, long from, long to, String what, List<String> ids) {
  public DamagedRange {
    ids = List.copyOf(ids);
  }

  /** One line: the file, the range, what is wrong, and the ids it names. */
  @Override
  public String toString() {
    return "%s bytes %d to %d (%d bytes): %s%s"
        .formatted(
            file,
            from,
            to,
            to - from,
            what,
            ids.isEmpty() ? "" : "; names " + String.join(", ", ids));
  }
}
