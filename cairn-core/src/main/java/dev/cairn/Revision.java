package dev.cairn;

/**
 * One revision of a document, as {@link DocumentStore#history(String)} lists it.
 *
 * @param rev the revision id, {@code generation-hash}
 * @param deleted whether this revision is a deletion
 * @param leaf whether no revision has this one as its parent
 */
public record Revision(String rev, boolean deleted, boolean leaf) {
  /** The generation: 1 for a first revision, one more than its parent for the others. */
  public int generation() {
    return Integer.parseInt(rev.substring(0, rev.indexOf('-')));
  }
}
