package dev.cairn;

/**
 * What a store holds and what a compaction would give back, from {@link DocumentStore#usage()}.
 *
 * @param backend the location's scheme: {@code file}, {@code mem}, {@code redis}, {@code
 *     postgresql}, {@code mariadb}, {@code mysql}, {@code cairn+http(s)}
 * @param bytesOnDisk storage used, where the backend can tell (else -1)
 * @param logs keys holding a log: one per document (deleted ones too), shared object, oplog, and
 *     replication peer
 * @param entries entries of those logs: revisions, patches, operations, checkpoints
 * @param bytes the entries' payload bytes (the backend's own framing is not counted)
 * @param reclaimableEntries entries {@link DocumentStore#compact(int)} with the store's {@linkplain
 *     Cairn.Builder#keepRevisions retention} would drop now
 * @param reclaimableBytes their payload bytes ("dead bytes"); a shared object's snapshot, written
 *     when it compacts, can let it drop more
 */
public record StoreUsage(
    String backend,
    long bytesOnDisk,
    long logs,
    long entries,
    long bytes,
    long reclaimableEntries,
    long reclaimableBytes) {}
