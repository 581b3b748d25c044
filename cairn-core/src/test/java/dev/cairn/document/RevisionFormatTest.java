package dev.cairn.document;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.engine.Backends;
import dev.cairn.json.Json;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revision ids hash RFC 8785 bytes; revisions of the older format keep theirs. */
class RevisionFormatTest {
  @TempDir Path dir;

  @Test
  void equalValuesWrittenDifferentlyGetTheSameRevisionAndReadBackAlike() {
    try (DocumentStore a = Cairn.open(dir.resolve("a"));
        DocumentStore b = Cairn.open(dir.resolve("b"))) {
      String one =
          a.upsert(Json.parseObject("{\"_id\":\"x\",\"n\":1e15,\"f\":0.5e1,\"s\":\"\\u0041\"}"));
      String other =
          b.upsert(Json.parseObject("{\"s\":\"A\",\"f\":5,\"_id\":\"x\",\"n\":1000000000000000}"));

      assertThat(one).isEqualTo(other);
      assertThat(Json.write(a.get("x").orElseThrow()))
          .isEqualTo(
              "{\"_id\":\"x\",\"_rev\":\""
                  + one
                  + "\",\"f\":5,\"n\":1000000000000000,\"s\":\"A\"}");
      // the same value again is no new revision
      assertThat(a.upsert(Json.parseObject("{\"_id\":\"x\",\"n\":1.0E15,\"f\":5.0,\"s\":\"A\"}")))
          .isEqualTo(one);
    }
  }

  @Test
  void aRevisionOfTheOlderFormatKeepsItsIdThroughReadsChecksAndBackups() throws Exception {
    Path old = dir.resolve("old");
    ObjectNode body = Json.parseObject("{\"big\":1e300,\"n\":1e15}");
    RevisionEntry legacy =
        RevisionEntry.create(null, false, Json.legacyCanonical(body), RevisionEntry.LEGACY_FORMAT);
    try (Backend backend = Backends.open(old.toString(), new BackendOptions(Durability.SYNC))) {
      backend.append("doc", 0, List.of(legacy.encode()));
    }

    try (DocumentStore store = Cairn.open(old)) {
      ObjectNode doc = store.get("doc").orElseThrow();
      assertThat(doc.get("_rev").asText()).isEqualTo(legacy.rev());
      assertThat(doc.get("n").doubleValue()).isEqualTo(1e15);
      assertThat(Cairn.check(old.toString()).sound()).isTrue();

      List<ObjectNode> backup = store.exportAll().toList();
      try (DocumentStore copy = Cairn.open(dir.resolve("copy"))) {
        assertThat(copy.importAll(backup).revisions()).isEqualTo(1);
        assertThat(copy.get("doc").orElseThrow()).isEqualTo(doc);
        assertThat(copy.exportAll().toList()).isEqualTo(backup);
      }

      // a change is written in the current format, as the child of the old revision
      String next = store.patch("doc", "{\"$inc\":{\"n\":1}}").get("_rev").asText();
      assertThat(next).startsWith("2-");
      assertThat(store.history("doc")).hasSize(2);
      assertThat(Cairn.check(old.toString()).sound()).isTrue();
    }
  }
}
