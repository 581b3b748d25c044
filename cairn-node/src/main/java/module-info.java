/** The Cairn node: the table of users, sessions and mounts, and oplog stores over HTTP. */
module dev.cairn.node {
  requires dev.cairn.core;
  requires dev.cairn.http;
  requires java.net.http;
  requires com.github.benmanes.caffeine;
  requires io.javalin;
  requires micrometer.core;
  requires micrometer.registry.prometheus;

  exports dev.cairn.node;
}
