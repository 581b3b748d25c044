package dev.cairn;

import java.util.List;

/**
 * What {@link Cairn#check(String)} found after reading every record of a store and every revision
 * of its documents.
 *
 * @param location the store
 * @param records entries read, of every log
 * @param documents documents whose revisions were checked (deleted ones included)
 * @param bytes bytes of log read (for a directory store, up to the end of its data)
 * @param damaged ranges of a directory store's log that do not read; empty if there are none
 * @param problems other faults, one line each: a revision whose id does not match its content, a
 *     body that is not JSON, a header that fails its checksum
 * @param notes what is worth knowing but is no fault, such as a torn write that the next open will
 *     clear
 */
public record CheckReport(
    String location,
    long records,
    long documents,
    long bytes,
    List<DamagedRange> damaged,
    List<String> problems,
    List<String> notes) {
  public CheckReport {
    damaged = List.copyOf(damaged);
    problems = List.copyOf(problems);
    notes = List.copyOf(notes);
  }

  /** Whether nothing is damaged and nothing is wrong. */
  public boolean sound() {
    return damaged.isEmpty() && problems.isEmpty();
  }
}
