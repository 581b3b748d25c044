package dev.cairn;

/**
 * What {@link DocumentStore#importAll} added; what the store already held is not counted.
 *
 * @param documents documents that received at least one revision
 * @param revisions revisions added
 * @param entries entries added to the logs of shared objects and oplogs
 */
public record ImportResult(long documents, long revisions, long entries) {}
