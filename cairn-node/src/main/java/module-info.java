/** The Cairn node: the table of users, sessions and mounts, and oplog stores over HTTP. */
module dev.cairn.node {
  requires dev.cairn.core;
  requires dev.cairn.http;
  requires java.net.http;
  requires com.github.benmanes.caffeine;
  requires io.javalin;

  exports dev.cairn.node;
}
