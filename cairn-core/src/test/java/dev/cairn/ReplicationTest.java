package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.DocumentStoreContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replication across backends and across many copies. */
class ReplicationTest {
  @TempDir Path root;
  private final List<DocumentStore> open = new ArrayList<>();

  private DocumentStore store(String location) {
    DocumentStore s = Cairn.open(location);
    open.add(s);
    return s;
  }

  @AfterEach
  void close() {
    open.forEach(DocumentStore::close);
  }

  @Test
  void fileAndMemoryStoresConvergeBothWays() {
    DocumentStore disk = store(root.resolve("disk").toString());
    DocumentStore memory = store("mem:");
    disk.upsert("a", Map.of("v", "disk"));
    memory.upsert("a", Map.of("v", "memory"));
    memory.upsert("b", Map.of());

    ReplicationResult pushed = disk.pushTo(memory);
    ReplicationResult pulled = disk.pullFrom(memory);

    assertThat(pushed.revisions()).isEqualTo(1);
    assertThat(pulled.revisions()).isEqualTo(2);
    assertThat(DocumentStoreContract.snapshot(disk))
        .isEqualTo(DocumentStoreContract.snapshot(memory));
    assertThat(disk.conflicts("a")).hasSize(1);
  }

  @Test
  void replicationTransfersOnlyWhatIsNew() {
    DocumentStore a = store(root.resolve("a").toString());
    DocumentStore b = store(root.resolve("b").toString());
    for (int i = 0; i < 50; i++) {
      a.upsert("doc" + i, Map.of("i", i));
    }
    assertThat(a.pushTo(b).revisions()).isEqualTo(50);

    a.upsert("doc7", Map.of("i", "changed"));

    ReplicationResult again = a.pushTo(b);
    assertThat(again.revisions()).isEqualTo(1);
    assertThat(again.documents()).isEqualTo(1);
    assertThat(b.get("doc7").orElseThrow().get("i").asText()).isEqualTo("changed");
  }

  /**
   * The "one thousand hosts" story in small: every copy writes its own revision 2 of the same
   * document; after every copy has pulled from every other, all agree on one winner, and a revision
   * 3 made later on one copy is the only thing the others need to fetch.
   */
  @Test
  void manyCopiesEditingOneDocumentAgreeOnOneWinner() {
    int copies = 6;
    List<DocumentStore> stores = new ArrayList<>();
    for (int i = 0; i < copies; i++) {
      stores.add(store(root.resolve("host" + i).toString()));
    }
    String base = stores.get(0).create("important-passwords", Map.of("v", "initial"));
    for (DocumentStore s : stores.subList(1, copies)) {
      s.pullFrom(stores.get(0));
    }
    for (int i = 0; i < copies; i++) {
      stores.get(i).update("important-passwords", base, Map.of("v", "host" + i));
    }

    for (DocumentStore to : stores) {
      for (DocumentStore from : stores) {
        if (to != from) {
          to.pullFrom(from);
        }
      }
    }

    String winner = stores.get(0).get("important-passwords").orElseThrow().toString();
    for (DocumentStore s : stores) {
      assertThat(s.get("important-passwords").orElseThrow().toString()).isEqualTo(winner);
      assertThat(s.conflicts("important-passwords")).hasSize(copies - 1);
    }

    DocumentStore late = stores.get(3);
    String rev2 = late.get("important-passwords").orElseThrow().get("_rev").asText();
    late.update("important-passwords", rev2, Map.of("v", "revision 3"));
    for (DocumentStore s : stores) {
      if (s != late) {
        assertThat(s.pullFrom(late).revisions()).isEqualTo(1);
        assertThat(s.get("important-passwords").orElseThrow().get("v").asText())
            .isEqualTo("revision 3");
      }
    }
  }
}
