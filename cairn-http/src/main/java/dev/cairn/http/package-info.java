/**
 * The {@code cairn+http://} and {@code cairn+https://} backend: the oplog stores of a Cairn node
 * (cairn-node), reached with the JDK's HTTP client. It depends on cairn-core alone, so a client
 * carries no server stack; the node's tests run it against real node processes.
 */
package dev.cairn.http;
