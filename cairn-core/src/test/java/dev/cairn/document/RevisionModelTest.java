package dev.cairn.document;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.InvalidDocumentException;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import dev.cairn.spi.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RevisionModelTest {

  private static byte[] canonical(String json) {
    return Json.canonical(Json.parseObject(json));
  }

  @Test
  void canonicalFormSortsMembersAndDropsWhiteSpace() {
    assertThat(
            new String(
                canonical("{ \"b\": [1, {\"z\":1, \"a\":2}], \"a\" : \"x\" }"),
                StandardCharsets.UTF_8))
        .isEqualTo("{\"a\":\"x\",\"b\":[1,{\"a\":2,\"z\":1}]}");
  }

  @Test
  void canonicalFormWritesEqualNumbersAlike() {
    assertThat(canonical("{\"n\":1.0}")).isEqualTo(canonical("{\"n\":1}"));
    assertThat(canonical("{\"n\":1e2}")).isEqualTo(canonical("{\"n\":100}"));
    assertThat(canonical("{\"n\":1.5}")).isNotEqualTo(canonical("{\"n\":1}"));
    assertThat(new String(canonical("{\"n\":12345678901234567890}"), StandardCharsets.UTF_8))
        .isEqualTo("{\"n\":12345678901234567890}");
  }

  @Test
  void canonicalFormLeavesOutMetaMembers() {
    assertThat(
            Json.canonical(
                Json.parseObject("{\"_id\":\"a\",\"_rev\":\"x\",\"v\":1}"), "_id", "_rev"))
        .isEqualTo(canonical("{\"v\":1}"));
  }

  /**
   * Revision ids are part of the data format: replicas running different Cairn versions must
   * compute the same id for the same edit. These values must never change.
   */
  @Test
  void revisionIdsAreStable() {
    RevisionEntry first = RevisionEntry.create(null, false, canonical("{\"text\":\"hello\"}"));
    RevisionEntry second = RevisionEntry.create(first.rev(), false, canonical("{\"text\":\"hi\"}"));
    RevisionEntry deletion = RevisionEntry.tombstone(second.rev());

    // sha256("" \n "0" \n canonical body), first 128 bits; then with the parent's id in front
    assertThat(first.rev()).isEqualTo("1-274b0e5b719e43a5dd593f361b17e560");
    assertThat(second.rev()).isEqualTo("2-e9e1ea603c442869b3d0a18eb96c61d6");
    assertThat(deletion.rev()).isEqualTo("3-9213c0d82d4168ba6667a1dbd719abbe");
  }

  @Test
  void entriesSurviveEncoding() {
    RevisionEntry e = RevisionEntry.create("4-" + "0".repeat(32), false, canonical("{\"a\":1}"));
    RevisionEntry back = RevisionEntry.decode(e.encode());

    assertThat(back.rev()).isEqualTo(e.rev());
    assertThat(back.parent()).isEqualTo(e.parent());
    assertThat(back.deleted()).isFalse();
    assertThat(back.body()).isEqualTo(e.body());
  }

  @Test
  void theWinnerDoesNotDependOnTheOrderRevisionsArrive() {
    RevisionEntry root = RevisionEntry.create(null, false, canonical("{\"v\":0}"));
    List<RevisionEntry> all = new ArrayList<>(List.of(root));
    for (int i = 1; i <= 5; i++) {
      all.add(RevisionEntry.create(root.rev(), false, canonical("{\"v\":" + i + "}")));
    }
    RevisionEntry deeper = RevisionEntry.create(all.get(3).rev(), false, canonical("{\"v\":33}"));
    all.add(deeper);
    all.add(RevisionEntry.tombstone(deeper.rev())); // the deepest branch is deleted

    String expected = null;
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      List<RevisionEntry> order = new ArrayList<>(all);
      Collections.shuffle(order, random);
      RevisionTree tree = new RevisionTree();
      long seq = 0;
      for (RevisionEntry e : order) {
        tree.apply(List.of(new LogEntry("doc", ++seq, e.encode())));
      }
      String winner = tree.snapshot().winnerRev();
      if (expected == null) {
        expected = winner;
      }
      assertThat(winner).isEqualTo(expected);
      assertThat(tree.snapshot().leaves()).hasSize(5); // 4 live generation-2 leaves + 1 tombstone
    }
    // a live leaf beats a deleted one even of a higher generation; then the higher hash wins
    String best =
        all.subList(1, 6).stream()
            .filter(e -> !e.rev().equals(all.get(3).rev()))
            .map(RevisionEntry::rev)
            .max(String::compareTo)
            .orElseThrow();
    assertThat(expected).isEqualTo(best);
  }

  @Test
  void badIdsAndRevsAreNamedInTheError() {
    assertThatThrownBy(() -> Validation.id("a/../b"))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("'a/../b'");
    assertThatThrownBy(() -> Validation.id("x\u0000y")).hasMessageContaining("U+0000");
    assertThatThrownBy(() -> Validation.id("\ud800")).hasMessageContaining("surrogate");
    assertThatThrownBy(() -> Validation.rev("1-abc")).hasMessageContaining("'1-abc'");
    assertThatThrownBy(() -> Validation.rev("0-" + "a".repeat(32)))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> Validation.rev("1-" + "A".repeat(32)))
        .isInstanceOf(InvalidDocumentException.class);
    assertThat(Validation.id("x".repeat(512))).hasSize(512);
    assertThat(Validation.rev("12-" + "0123456789abcdef".repeat(2))).isNotNull();
  }
}
