/**
 * The {@code mem:} backend: keyed logs in this JVM's heap, for tests and caches. Not an API: these
 * types may change in any release.
 */
package dev.cairn.memory;
