/**
 * The {@code file:} backend: a directory as a store, shared by every process on the machine with no
 * server. Not an API: these types may change in any release. Each room holds one thing:
 *
 * <ul>
 *   <li>{@link dev.cairn.file.FileBackend} and {@code FileBackendProvider}: the backend, over
 *       {@code FileLog}: one store directory per JVM (appends with group commit, durability,
 *       compaction's locking), whose header tells the files and the rules; {@code LogRecovery}
 *       opens a directory (torn write or damage); {@code LogRewrite} writes a log's next generation
 *       (compaction, format upgrade); {@code LogFiles} names, creates and opens log files; {@code
 *       TailWatcher} tells watchers of appends by any process.
 *   <li>{@code LogFormat} (the byte layout of a log file, versioned) and {@code LogScanner}
 *       (reading it, past damage).
 *   <li>{@code LogSegment} (a process's index of one log file), {@code LogIndexFile} (the index
 *       file beside it, mapped) and {@code CompactionIndex} (the index of a log compaction writes).
 *   <li>{@code SharedMemory}: {@code cairn.shm}, where the processes publish the log's end and hold
 *       their locks.
 *   <li>{@link dev.cairn.file.DirectoryCheck}: {@code check} and {@code recover}, reading a store
 *       without trusting it.
 * </ul>
 *
 * <p>It knows nothing of what the logs hold (documents, shared objects): it imports the public
 * API's value types and the SPI only.
 */
package dev.cairn.file;
