package dev.cairn;

/**
 * A typed document with its id and the revision it was read at.
 *
 * @param id the document id
 * @param rev the revision the value was read at; pass it back to update
 * @param value the document body, converted to the caller's type
 */
public record Versioned<T>(String id, String rev, T value) {}
