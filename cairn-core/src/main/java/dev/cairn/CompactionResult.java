package dev.cairn;

/**
 * What one compaction removed.
 *
 * @param revisionsRemoved old revisions dropped from the logs
 * @param bytesBefore storage size before, where the backend can tell (else -1)
 * @param bytesAfter storage size after, where the backend can tell (else -1)
 */
public record CompactionResult(long revisionsRemoved, long bytesBefore, long bytesAfter) {}
