/**
 * Documents with revisions, the product behind {@link dev.cairn.DocumentStore}. Not an API: these
 * types may change in any release.
 *
 * <ul>
 *   <li>{@link dev.cairn.document.RevisionEntry} (a revision in the log) and {@link
 *       dev.cairn.document.RevisionTree} (the reducer: the tree, its leaves and the winner).
 *   <li>{@link dev.cairn.document.ChangeNotifier}: the change feed delivered to listeners.
 *   <li>{@link dev.cairn.document.Replicator}: replication between any two backends; {@link
 *       dev.cairn.document.Backup}: export and import of a whole store.
 *   <li>{@link dev.cairn.document.StoreCheck}: what {@code check} asks of a document's entries.
 * </ul>
 */
package dev.cairn.document;
