/**
 * Shared objects: one live JSON object per name, kept by every process that shares it. Not an API:
 * these types may change in any release; the API is {@link dev.cairn.SharedObject}.
 *
 * <ul>
 *   <li>{@link dev.cairn.shared.SharedLog}: the object's log (defaults, patches with their sender's
 *       id and number, snapshots) and its reducer, which judges every patch the same way in every
 *       replica.
 *   <li>{@link dev.cairn.shared.SharedReplica}: this process's reduction, its patches in flight and
 *       the view.
 *   <li>{@code SharedChannel}, the order of the patches: {@code HostChannel} (a host elected among
 *       the processes of one machine by a file lock, appending and streaming over a Unix domain
 *       socket) or {@code FeedChannel} (the backend orders the appends; its change feed is
 *       followed).
 * </ul>
 */
package dev.cairn.shared;
