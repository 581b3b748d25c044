/**
 * The engine every product stands on. Not an API: these types may change in any release.
 *
 * <ul>
 *   <li>{@link dev.cairn.engine.Engine}: keyed logs reduced by a reducer, with an incremental cache
 *       and the conditional-append write loop.
 *   <li>{@link dev.cairn.engine.LogKind}: the kinds of log a store holds, told apart by their key;
 *       {@link dev.cairn.engine.Compaction} asks each kind's {@link dev.cairn.engine.Retention}
 *       what to keep.
 *   <li>{@link dev.cairn.engine.FeedFollower}: following a backend's change feed on one thread.
 *   <li>{@link dev.cairn.engine.Backends}: opening a location's backend; {@link
 *       dev.cairn.engine.Threads}: the library's named daemon threads.
 * </ul>
 *
 * <p>It imports the API's value types and the SPI only, never a product's package.
 */
package dev.cairn.engine;
