package dev.cairn.jdbc;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.testkit.SharedLoad;
import dev.cairn.testkit.SharedObjectContract;
import org.junit.jupiter.api.Test;

/** The shared-object contract on a SQL server, which orders the patches itself: no host. */
abstract class SqlSharedObjectContract extends SharedObjectContract {
  private String namespace;

  abstract SqlServer server();

  @Override
  protected DocumentStore create() {
    namespace = SqlServer.freshNamespace();
    return Cairn.open(server().location(namespace));
  }

  @Override
  protected DocumentStore reopen() {
    return Cairn.open(server().location(namespace));
  }

  @Override
  protected void dropData() {
    server().drop(namespace);
  }

  @Test
  void fourProcessesSendingRandomPatchesEndWithTheSameState() throws Exception {
    SharedLoad.randomPatchesConverge(server().location(namespace), 4, 100);
  }
}
