/**
 * MongoDB's update operators on JSON documents. Not an API: {@link dev.cairn.Update} and {@code
 * DocumentStore.patch} are. {@link dev.cairn.update.UpdateOperators} validates an update and
 * applies its operators; {@code DocumentPath} walks dot paths ({@code $[]} included); {@code
 * QueryMatcher} reads {@code $pull} conditions as queries; {@code ValueOrder} is MongoDB's order
 * over values, for {@code $min}, {@code $max} and {@code $sort}.
 */
package dev.cairn.update;
