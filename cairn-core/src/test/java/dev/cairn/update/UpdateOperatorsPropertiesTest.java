package dev.cairn.update;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidUpdateException;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * What must hold for every document and update, on documents and updates generated at random: small
 * documents of every JSON kind, and updates of every operator over a few paths that collide with
 * the documents' members, so that most updates meet numbers, strings, arrays and nulls where they
 * go, and many are refused.
 */
class UpdateOperatorsPropertiesTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);
  private static final List<String> NAMES = List.of("a", "b", "c", "n");
  private static final List<String> PATHS =
      List.of("a", "b", "n", "a.b", "a.c", "b.0", "b.1", "c.n", "b.$[]", "a.b.c", "b.0.a");

  // ---- generators ----

  private static Arbitrary<JsonNode> scalar() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(-3, 3).map(i -> (JsonNode) NODES.numberNode(i)),
        Arbitraries.of(0.5, -1.5, 1e15, 2.0, 3.0, -1.0).map(d -> (JsonNode) NODES.numberNode(d)),
        Arbitraries.of("x", "y", "", "é").map(s -> (JsonNode) NODES.textNode(s)),
        Arbitraries.of(true, false).map(b -> (JsonNode) NODES.booleanNode(b)),
        Arbitraries.just(NODES.nullNode()));
  }

  private static Arbitrary<JsonNode> value(int depth) {
    if (depth == 0) {
      return scalar();
    }
    Arbitrary<JsonNode> inner = value(depth - 1);
    Arbitrary<JsonNode> array =
        inner.list().ofMaxSize(3).map(l -> (JsonNode) NODES.arrayNode().addAll(l));
    Arbitrary<JsonNode> object =
        Combinators.combine(
                Arbitraries.of(NAMES).list().ofMaxSize(3).uniqueElements(), inner.list().ofSize(3))
            .as(
                (names, values) -> {
                  ObjectNode o = NODES.objectNode();
                  for (int i = 0; i < names.size(); i++) {
                    o.set(names.get(i), values.get(i));
                  }
                  return (JsonNode) o;
                });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, scalar()),
        net.jqwik.api.Tuple.of(2, array),
        net.jqwik.api.Tuple.of(2, object));
  }

  @Provide
  Arbitrary<ObjectNode> documents() {
    return Combinators.combine(
            Arbitraries.of(NAMES).list().ofMaxSize(4).uniqueElements(), value(2).list().ofSize(4))
        .as(
            (names, values) -> {
              ObjectNode doc = NODES.objectNode();
              for (int i = 0; i < names.size(); i++) {
                doc.set(names.get(i), values.get(i));
              }
              return doc;
            });
  }

  private static Arbitrary<JsonNode> argument(String op) {
    return switch (op) {
      case "$unset" -> Arbitraries.just(NODES.textNode(""));
      case "$inc", "$mul" ->
          Arbitraries.oneOf(
              Arbitraries.integers().between(-2, 3).map(i -> (JsonNode) NODES.numberNode(i)),
              Arbitraries.just(NODES.textNode("x")));
      case "$rename" ->
          Arbitraries.of("r", "a.r", "b.0", "n").map(s -> (JsonNode) NODES.textNode(s));
      case "$currentDate" -> Arbitraries.just(NODES.booleanNode(true));
      case "$pop" -> Arbitraries.of(1, -1).map(i -> (JsonNode) NODES.numberNode(i));
      case "$pullAll" ->
          value(1).list().ofMaxSize(2).map(l -> (JsonNode) NODES.arrayNode().addAll(l));
      case "$bit" ->
          Arbitraries.of("and", "or", "xor").map(k -> (JsonNode) NODES.objectNode().put(k, 5));
      case "$push", "$addToSet" ->
          Arbitraries.oneOf(
              value(1),
              value(1)
                  .list()
                  .ofMaxSize(3)
                  .map(
                      l -> {
                        ObjectNode each = NODES.objectNode();
                        each.set("$each", NODES.arrayNode().addAll(l));
                        return (JsonNode) each;
                      }));
      default -> value(2);
    };
  }

  private static final List<String> OPERATORS =
      List.of(
          "$set",
          "$setOnInsert",
          "$unset",
          "$inc",
          "$mul",
          "$min",
          "$max",
          "$rename",
          "$currentDate",
          "$push",
          "$addToSet",
          "$pop",
          "$pull",
          "$pullAll",
          "$bit");

  @Provide
  Arbitrary<ObjectNode> updates() {
    Arbitrary<Map.Entry<String, Map.Entry<String, JsonNode>>> part =
        Arbitraries.of(OPERATORS)
            .flatMap(
                op ->
                    Combinators.combine(Arbitraries.of(PATHS), argument(op))
                        .as((path, arg) -> Map.entry(op, Map.entry(path, arg))));
    return part.list()
        .ofMinSize(1)
        .ofMaxSize(3)
        .map(
            parts -> {
              ObjectNode update = NODES.objectNode();
              for (var p : parts) {
                update
                    .withObject("/" + p.getKey())
                    .set(p.getValue().getKey(), p.getValue().getValue());
              }
              return update;
            });
  }

  // ---- properties ----

  @Property(tries = 2000)
  void anUpdateLeavesItsInputAloneAndGivesTheSameResultEveryTime(
      @ForAll("documents") ObjectNode doc, @ForAll("updates") ObjectNode update) {
    ObjectNode before = doc.deepCopy();
    Outcome first = apply(doc, update);
    Outcome second = apply(doc, update);

    assertThat(doc).isEqualTo(before);
    assertThat(second).isEqualTo(first);
    if (first.result() != null) {
      Validation.body(first.result()); // what an update gives is a document Cairn keeps
    }
  }

  @Property(tries = 5000)
  void howTheDocumentsNumbersAreWrittenDoesNotChangeTheResult(
      @ForAll("documents") ObjectNode doc, @ForAll("updates") ObjectNode update) {
    ObjectNode rewritten =
        (ObjectNode) Json.parse(Json.write(doc).replace("1000000000000000", "1e15"));
    ObjectNode reread =
        (ObjectNode)
            Json.parse(new String(Json.canonical(doc), java.nio.charset.StandardCharsets.UTF_8));

    Outcome outcome = apply(doc, update);
    Outcome fromCanonical = apply(reorder(reread, doc), update);
    Outcome fromRewritten = apply(rewritten, update);
    assertThat(fromCanonical).isEqualTo(outcome);
    assertThat(fromRewritten).isEqualTo(outcome);
  }

  @Property(tries = 1000)
  void membersNoPathOfTheUpdateReachesAreUnchanged(
      @ForAll("documents") ObjectNode doc, @ForAll("updates") ObjectNode update) {
    Outcome outcome = apply(doc, update);
    if (outcome.result() == null) {
      return;
    }
    List<String> touched = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> ops = update.fields(); ops.hasNext(); ) {
      Map.Entry<String, JsonNode> op = ops.next();
      op.getValue().fieldNames().forEachRemaining(p -> touched.add(p.split("\\.")[0]));
      if (op.getKey().equals("$rename")) {
        op.getValue().elements().forEachRemaining(t -> touched.add(t.asText().split("\\.")[0]));
      }
    }
    for (String name : NAMES) {
      if (!touched.contains(name)) {
        assertThat(outcome.result().get(name)).as(name).isEqualTo(doc.get(name));
      }
    }
  }

  @Property(tries = 300)
  void aRefusedPatchWritesNothingAndAnAcceptedOneWritesWhatTheOperatorsGive(
      @ForAll("documents") ObjectNode doc, @ForAll("updates") ObjectNode update) {
    try (DocumentStore store = Cairn.builder("mem:").clock(CLOCK).open()) {
      ObjectNode stored = doc.deepCopy();
      stored.put("_id", "d");
      String rev = store.upsert(stored);
      long before = store.lastSequence();
      ObjectNode kept = store.get("d").orElseThrow(); // as stored: canonical, members sorted
      kept.remove(List.of("_id", "_rev"));
      Outcome expected = apply(kept, update);
      try {
        ObjectNode patched = store.patch("d", update);
        assertThat(expected.error()).as("refused by the operators: %s", expected.error()).isNull();
        ObjectNode body = patched.deepCopy();
        body.remove(List.of("_id", "_rev"));
        assertThat(Json.canonical(body)).isEqualTo(Json.canonical(expected.result()));
      } catch (InvalidUpdateException e) {
        assertThat(e.getMessage()).isEqualTo(expected.error());
        assertThat(store.lastSequence()).isEqualTo(before);
        assertThat(store.get("d").orElseThrow().get("_rev").asText()).isEqualTo(rev);
      }
    }
  }

  /** The result's canonical JSON, or the error's message. */
  private record Outcome(ObjectNode result, String canonical, String error) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Outcome other
          && java.util.Objects.equals(canonical, other.canonical)
          && java.util.Objects.equals(error, other.error);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(canonical, error);
    }
  }

  private static Outcome apply(ObjectNode doc, ObjectNode update) {
    try {
      ObjectNode result = UpdateOperators.apply(doc, update, CLOCK);
      return new Outcome(
          result,
          new String(Json.canonical(result), java.nio.charset.StandardCharsets.UTF_8),
          null);
    } catch (InvalidUpdateException e) {
      return new Outcome(null, null, e.getMessage());
    }
  }

  /** {@code node}'s values in the member order of {@code order}: object order is data in BSON. */
  private static ObjectNode reorder(ObjectNode node, JsonNode order) {
    ObjectNode out = NODES.objectNode();
    order
        .fieldNames()
        .forEachRemaining(name -> out.set(name, reorderValue(node.get(name), order.get(name))));
    return out;
  }

  private static JsonNode reorderValue(JsonNode node, JsonNode order) {
    if (node.isObject()) {
      return reorder((ObjectNode) node, order);
    }
    if (node.isArray()) {
      ArrayNode out = NODES.arrayNode();
      for (int i = 0; i < node.size(); i++) {
        out.add(reorderValue(node.get(i), order.get(i)));
      }
      return out;
    }
    return node;
  }
}
