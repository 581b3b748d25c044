package dev.cairn;

/**
 * What one replication transferred.
 *
 * @param documents documents that received at least one revision
 * @param revisions revisions written to the target (revisions it already had are not counted)
 * @param sourceSequence the source's sequence number the target is now up to date with
 */
public record ReplicationResult(long documents, long revisions, long sourceSequence) {}
