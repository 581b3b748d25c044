package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's example, run; and a check that the README shows exactly this code. */
class ReadmeExampleTest {
  @TempDir Path dir;

  @Test
  void theReadmeExampleRuns() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      // README-BEGIN
      try (DocumentStore store = Cairn.open(dir)) {
        store.upsert("hello", Map.of("text", "Hello Object Store!"));

        ObjectNode doc = store.get("hello").orElseThrow();
        ObjectNode stale = doc.deepCopy();
        doc.put("secret", "Cats are little people!");
        store.update(doc); // succeeds: doc's _rev was current

        stale.put("secret", "Dogs are little people!");
        try {
          store.update(stale); // refused: its _rev is no longer current
        } catch (ConflictException e) {
          System.out.println("refused: " + e.getMessage());
        }
        System.out.println(store.get("hello").orElseThrow());
      }
      // README-END
    } finally {
      System.setOut(stdout);
    }

    String out = printed.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("refused: document 'hello' is at rev 2-");
    assertThat(out).contains("\"secret\":\"Cats are little people!\"");
    assertThat(out).doesNotContain("\"secret\":\"Dogs");
  }

  @Test
  void theReadmeShowsThisExample() throws IOException {
    String test = Files.readString(Path.of("src/test/java/dev/cairn/ReadmeExampleTest.java"));
    String code =
        test.substring(test.indexOf("// README-BEGIN\n") + 16, test.indexOf("      // README-END"));
    String readme = Files.readString(Path.of("../README.md"));

    assertThat(readme).contains(code.stripTrailing().stripIndent());
  }
}
