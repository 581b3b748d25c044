package dev.cairn;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A patch that took its place in a shared object's order.
 *
 * @param version the object's version the patch produced: the number of patches accepted up to and
 *     including it
 * @param state the object's state right after the patch (a copy the caller owns)
 */
public record Patched(long version, ObjectNode state) {}
