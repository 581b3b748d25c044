/**
 * Cairn's public API: {@link dev.cairn.Cairn} opens a {@link dev.cairn.DocumentStore} at a
 * location.
 *
 * <h2>Thread safety</h2>
 *
 * Every type here is safe to use from many threads, and a store directory is safe to use from many
 * processes at once. Values returned ({@code ObjectNode}s, lists) are the caller's own copies.
 *
 * <h2>Durability</h2>
 *
 * When a write method returns, its write is in the store's log: on stable storage with {@link
 * dev.cairn.Durability#SYNC} (the default), in the operating system's page cache with {@link
 * dev.cairn.Durability#OS}. A write is atomic: after any crash it is there whole or not at all.
 * Closing a directory store makes everything written to it durable. A damaged log is refused, never
 * cut short: see {@link dev.cairn.Cairn#check} and {@link dev.cairn.Cairn#recover}.
 *
 * <h2>Exceptions</h2>
 *
 * All are unchecked and extend {@link dev.cairn.CairnException}:
 *
 * <ul>
 *   <li>{@link dev.cairn.InvalidDocumentException}: bad id, body, revision or size; nothing was
 *       written.
 *   <li>{@link dev.cairn.ConflictException}: the id exists, or the revision named is not current;
 *       nothing was written.
 *   <li>{@link dev.cairn.NotFoundException}: no such document or revision.
 *   <li>{@link dev.cairn.InvalidLocationException} (and {@link dev.cairn.AccessDeniedException},
 *       credentials refused), {@link dev.cairn.StoreFormatException} (not a Cairn store, a newer
 *       format, damage): the store cannot be opened; nothing was changed. Fix, don't retry.
 *   <li>{@link dev.cairn.UnavailableException}: a server is down, unreachable or too slow; try
 *       again later.
 *   <li>{@link dev.cairn.StorageException}: the disk failed under a write; the write is in the log
 *       whole or not at all, and the message says which is known.
 * </ul>
 *
 * Misuse (a closed store, a null listener, a negative setting) gets the standard JDK exceptions.
 */
package dev.cairn;
