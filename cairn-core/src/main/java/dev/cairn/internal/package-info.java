/**
 * Cairn's engine, its reducers and the {@code mem:} backend. Not an API: these types may change in
 * any release. The {@code file:} backend is {@link dev.cairn.file}.
 *
 * <ul>
 *   <li>{@link dev.cairn.internal.Engine}: keyed logs reduced by a reducer, with an incremental
 *       cache and the conditional-append write loop every facade uses.
 *   <li>{@link dev.cairn.internal.RevisionTree} and {@link dev.cairn.internal.RevisionEntry}: the
 *       document reducer and its log entries.
 *   <li>{@link dev.cairn.internal.MemoryBackend}: {@code mem:}.
 *   <li>{@link dev.cairn.internal.Replicator}: replication between any two backends.
 * </ul>
 */
package dev.cairn.internal;
