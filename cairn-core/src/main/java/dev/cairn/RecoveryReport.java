package dev.cairn;

import java.util.List;

/**
 * What {@link Cairn#recover} copied to the new store, and what it could not.
 *
 * @param source the damaged store, left as it was
 * @param target the new store
 * @param records entries copied
 * @param appends appends copied, each whole, in their original order
 * @param lost the ranges of the source's log that could not be read, with the ids they name
 * @param idsAffected every id named in a lost range, sorted: check these documents (a replica, if
 *     you have one, can give back what was lost: {@code cairn sync})
 */
public record RecoveryReport(
    String source,
    String target,
    long records,
    long appends,
    List<DamagedRange> lost,
    List<String> idsAffected) {
  public RecoveryReport {
    lost = List.copyOf(lost);
    idsAffected = List.copyOf(idsAffected);
  }

  /** Whether every record of the source was copied. */
  public boolean complete() {
    return lost.isEmpty();
  }
}
