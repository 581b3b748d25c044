/**
 * The {@code redis://host:port/db?namespace=name} backend. Add this module to the class path and
 * {@link dev.cairn.Cairn#open(String)} opens Redis locations; see {@link
 * dev.cairn.redis.RedisBackend} for the layout of the data and what durability means there.
 */
package dev.cairn.redis;
