package dev.cairn;

/**
 * A rule that settles conflicts with no one choosing: see {@link DocumentStore#resolve(String,
 * Resolution)} and {@link Cairn.Builder#autoResolve(Resolution)}.
 */
public enum Resolution {
  /**
   * A conflicting revision is deleted when the winner already holds its data: every field of the
   * conflict (but {@code _id} and {@code _rev}) is in the winner with an equal value (numbers equal
   * by value: 1 and 1.0 are equal). The winner may hold more; a conflict with a field the winner
   * lacks or holds otherwise stays, for someone to settle.
   */
  SUBSUMED
}
