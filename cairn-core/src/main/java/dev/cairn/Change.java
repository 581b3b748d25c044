package dev.cairn;

/**
 * One write to a store, as the change feed reports it.
 *
 * @param seq the store-wide sequence number of the write, increasing in write order
 * @param id the document id
 * @param rev the revision the write created
 * @param deleted whether the revision is a deletion (tombstone)
 */
public record Change(long seq, String id, String rev, boolean deleted) {}
