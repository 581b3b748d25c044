/**
 * JSON as Cairn reads, writes and checks it. Not an API: these types may change in any release.
 * {@link dev.cairn.json.Json} holds the one configured mapper, strict parsing and the canonical
 * form that revisions hash; {@link dev.cairn.json.Validation} checks ids, revisions and values at
 * every entry point.
 */
package dev.cairn.json;
