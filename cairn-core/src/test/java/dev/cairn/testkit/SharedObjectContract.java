package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.CompactionResult;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidDocumentException;
import dev.cairn.InvalidUpdateException;
import dev.cairn.Patched;
import dev.cairn.SharedObject;
import dev.cairn.StalePatchException;
import dev.cairn.Subscription;
import dev.cairn.Update;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a shared object promises on every backend. {@link #one} and {@link #two} are two handles on
 * the same data (on {@code mem:}, one store shared twice).
 */
public abstract class SharedObjectContract {
  protected static final Duration WAIT = Duration.ofSeconds(20);
  protected DocumentStore one;
  protected DocumentStore two;
  protected String name;

  /** A handle on the data of {@link #one}, opened anew. */
  protected abstract DocumentStore reopen();

  protected abstract DocumentStore create();

  @BeforeEach
  void open() {
    one = create();
    two = reopen();
    name = "obj-" + System.nanoTime();
  }

  @AfterEach
  void closeStores() {
    two.close();
    one.close();
    dropData();
  }

  /** Removes what the test stored, after the stores are closed. */
  protected void dropData() {}

  protected static ObjectNode json(String text) {
    return dev.cairn.json.Json.parseObject(text);
  }

  private static <T> T join(CompletableFuture<T> f) throws Exception {
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void theFirstToShareCreatesTheObjectFromItsDefaultsAndOthersGetItAsItIs() throws Exception {
    SharedObject a = one.share(name, json("{\"n\": 1, \"tags\": []}"));
    join(a.patch("{\"$inc\": {\"n\": 1}}"));
    SharedObject b = two.share(name, json("{\"other\": true}"));
    assertThat(b.get()).isEqualTo(json("{\"n\": 2, \"tags\": []}"));
    assertThat(b.version()).isEqualTo(1);
  }

  @Test
  void aPatchAppliesLocallyAtOnceAndReachesEveryReplicaInOneOrder() throws Exception {
    SharedObject a = one.share(name, json("{\"n\": 0}"));
    SharedObject b = two.share(name, json("{}"));
    CompletableFuture<Patched> first = a.patch(Update.of().inc("n", 5).push("log", "a"));
    assertThat(a.get().get("n").asInt()).isEqualTo(5); // before it has its place
    Patched p1 = join(first);
    Patched p2 = join(b.patch("{\"$push\": {\"log\": \"b\"}, \"$set\": {\"who\": \"b\"}}"));
    assertThat(p1.version()).isEqualTo(1);
    assertThat(p1.state()).isEqualTo(json("{\"n\": 5, \"log\": [\"a\"]}"));
    assertThat(p2.version()).isEqualTo(2);
    ObjectNode expected = json("{\"n\": 5, \"log\": [\"a\", \"b\"], \"who\": \"b\"}");
    assertThat(p2.state()).isEqualTo(expected);
    await().atMost(WAIT).until(() -> a.version() == 2);
    assertThat(a.get()).isEqualTo(expected);
    assertThat(b.get()).isEqualTo(expected);
    assertThat(a.get("log.1").asText()).isEqualTo("b");
    assertThat(a.get("missing.path")).isNull();
  }

  @Test
  void aMalformedOrInapplicableUpdateIsRefusedAtOnceAndChangesNothing() throws Exception {
    SharedObject a = one.share(name, json("{\"s\": \"text\"}"));
    assertThatThrownBy(() -> a.patch("{\"$frob\": {\"x\": 1}}"))
        .isInstanceOf(InvalidUpdateException.class)
        .hasMessageContaining("unknown update operator $frob");
    assertThatThrownBy(() -> a.patch("{\"x\": 1}"))
        .isInstanceOf(InvalidUpdateException.class)
        .hasMessageContaining("only update operators");
    assertThatThrownBy(() -> a.patch("not json")).isInstanceOf(InvalidUpdateException.class);
    assertThatThrownBy(() -> a.patch((JsonNode) null)).isInstanceOf(InvalidUpdateException.class);
    assertThatThrownBy(() -> a.patch("{\"$inc\": {\"s\": 1}}"))
        .isInstanceOf(InvalidUpdateException.class)
        .hasMessageContaining("s");
    assertThatThrownBy(() -> a.get("a..b")).isInstanceOf(IllegalArgumentException.class);
    assertThat(join(a.patch("{\"$set\": {\"ok\": true}}")).version()).isEqualTo(1);
    assertThat(a.get()).isEqualTo(json("{\"s\": \"text\", \"ok\": true}"));
    assertThatThrownBy(() -> one.share("_reserved", json("{}")))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> one.share("bad/name", json("{}")))
        .isInstanceOf(InvalidDocumentException.class);
  }

  @Test
  void aConditionalPatchIsRejectedWhenWhatItTouchesChangedAndGetsTheCurrentState()
      throws Exception {
    SharedObject a = one.share(name, json("{\"price\": 10, \"stock\": 3}"));
    SharedObject b = two.share(name, json("{}"));
    long seen = a.version();
    join(b.patch("{\"$set\": {\"price\": 12}}"));
    CompletableFuture<Patched> stale = a.patchIfUnchanged(seen, "{\"$set\": {\"price\": 11}}");
    assertThatThrownBy(() -> join(stale))
        .hasCauseInstanceOf(StalePatchException.class)
        .cause()
        .satisfies(
            e -> {
              StalePatchException s = (StalePatchException) e;
              assertThat(s.currentVersion()).isEqualTo(1);
              assertThat(s.currentState()).isEqualTo(json("{\"price\": 12, \"stock\": 3}"));
            });
    // a path nobody touched since is fine
    Patched ok = join(a.patchIfUnchanged(seen, Update.of().inc("stock", -1)));
    assertThat(ok.state()).isEqualTo(json("{\"price\": 12, \"stock\": 2}"));
    await().atMost(WAIT).until(() -> b.version() == 2);
    assertThat(b.get()).isEqualTo(ok.state());
  }

  @Test
  void aVersionSeenElsewhereIsAcceptedAndOneNoProcessHasSeenIsRefused() throws Exception {
    SharedObject a = one.share(name, json("{\"n\": 0, \"m\": 0}"));
    SharedObject b = two.share(name, json("{}"));
    long reached = join(b.patch("{\"$inc\": {\"n\": 1}}")).version();

    // a may not have read b's patch yet; the version b saw is still a real one
    Patched based = join(a.patchIfUnchanged(reached, "{\"$inc\": {\"m\": 1}}"));
    assertThat(based.version()).isEqualTo(reached + 1);
    assertThatThrownBy(() -> a.patchIfUnchanged(reached + 5, "{\"$inc\": {\"m\": 1}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "the patch is based on version %d, but the object's version is %d",
            reached + 5, reached + 1);
    assertThat(a.get()).isEqualTo(based.state());
  }

  @Test
  void aPatchThatCannotApplyWhereItLandsIsRejectedInEveryProcessAlike() throws Exception {
    SharedObject a = one.share(name, json("{\"arr\": []}"));
    SharedObject b = two.share(name, json("{}"));
    long seen = a.version();
    join(b.patch("{\"$set\": {\"arr\": 5}}"));
    await().atMost(WAIT).until(() -> a.version() == 1);
    // in a's view the first makes arr an array again, so the second applies there; in the one
    // order the first is stale, and the second meets the number 5. (If the first's verdict is
    // back before the second is sent, the view already says so and the second is refused at once.)
    CompletableFuture<Patched> first = a.patchIfUnchanged(seen, "{\"$set\": {\"arr\": []}}");
    CompletableFuture<Patched> second;
    try {
      second = a.patch("{\"$push\": {\"arr\": 1}}");
    } catch (InvalidUpdateException refusedAtOnce) {
      second = CompletableFuture.failedFuture(refusedAtOnce);
    }
    CompletableFuture<Patched> secondSent = second;
    assertThatThrownBy(() -> join(first)).hasCauseInstanceOf(StalePatchException.class);
    assertThatThrownBy(() -> join(secondSent)).hasCauseInstanceOf(InvalidUpdateException.class);
    Patched after = join(b.patch("{\"$set\": {\"done\": true}}"));
    assertThat(after.version()).isEqualTo(2);
    assertThat(after.state()).isEqualTo(json("{\"arr\": 5, \"done\": true}"));
    await().atMost(WAIT).until(() -> a.version() == 2);
    assertThat(a.get()).isEqualTo(after.state());
  }

  @Test
  void observersHearEveryChangeUnderTheirPathFromAnyReplica() throws Exception {
    SharedObject a = one.share(name, json("{\"cfg\": {\"x\": 1}, \"other\": 0}"));
    SharedObject b = two.share(name, json("{}"));
    List<String> heard = new CopyOnWriteArrayList<>();
    Subscription s = a.observe("cfg", (path, value, version) -> heard.add(version + " " + value));
    List<Long> all = new CopyOnWriteArrayList<>();
    a.observe("", (path, value, version) -> all.add(version));
    join(b.patch("{\"$set\": {\"cfg.x\": 2}}"));
    join(b.patch("{\"$inc\": {\"other\": 1}}"));
    join(a.patch("{\"$set\": {\"cfg.y\": true}}"));
    join(b.patch("{\"$set\": {\"cfg.x\": 2}}")); // changes nothing
    await().atMost(WAIT).until(() -> all.size() == 3);
    assertThat(heard).containsExactly("1 {\"x\":2}", "3 {\"x\":2,\"y\":true}");
    assertThat(all).containsExactly(1L, 2L, 3L);
    s.close();
    join(b.patch("{\"$unset\": {\"cfg\": \"\"}}"));
    await().atMost(WAIT).until(() -> all.size() == 4);
    assertThat(heard).hasSize(2);
  }

  @Test
  void theObjectIsThereWithEveryAcceptedPatchAfterEveryoneLeft() throws Exception {
    SharedObject a = one.share(name, json("{\"n\": 0}"));
    List<CompletableFuture<Patched>> sent = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      sent.add(a.patch("{\"$inc\": {\"n\": 1}}"));
    }
    for (CompletableFuture<Patched> f : sent) {
      join(f);
    }
    a.close();
    try (DocumentStore three = reopen()) {
      SharedObject again = three.share(name, json("{\"n\": -1}"));
      assertThat(again.get()).isEqualTo(json("{\"n\": 50}"));
      assertThat(again.version()).isEqualTo(50);
    }
  }

  @Test
  void threadsOnTwoReplicasLoseNoPatch() throws Exception {
    SharedObject a = one.share(name, json("{\"n\": 0}"));
    SharedObject b = two.share(name, json("{}"));
    int threads = 4;
    int each = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<Long>>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      SharedObject target = t % 2 == 0 ? a : b;
      int thread = t;
      results.add(
          pool.submit(
              () -> {
                List<CompletableFuture<Patched>> mine = new ArrayList<>();
                for (int i = 0; i < each; i++) {
                  mine.add(
                      target.patch(Update.of().inc("n", 1).addToSet("seen", thread + "-" + i)));
                }
                List<Long> versions = new ArrayList<>();
                for (CompletableFuture<Patched> f : mine) {
                  versions.add(join(f).version());
                }
                return versions;
              }));
    }
    Set<Long> versions = new HashSet<>();
    for (Future<List<Long>> f : results) {
      versions.addAll(f.get());
    }
    pool.shutdown();
    int total = threads * each;
    assertThat(versions).hasSize(total).allMatch(v -> v >= 1 && v <= total);
    await().atMost(WAIT).until(() -> a.version() == total && b.version() == total);
    assertThat(a.get().get("n").asInt()).isEqualTo(total);
    assertThat(a.get().get("seen")).hasSize(total);
    assertThat(b.get()).isEqualTo(a.get());
  }

  @Test
  void closingLeavesCleanlyAndTheOthersGoOn() throws Exception {
    SharedObject a = one.share(name, json("{\"n\": 0}"));
    SharedObject b = two.share(name, json("{}"));
    CompletableFuture<Patched> last = null;
    for (int i = 0; i < 20; i++) {
      last = a.patch("{\"$inc\": {\"n\": 1}}");
    }
    a.close();
    assertThat(last).isCompleted();
    assertThatThrownBy(() -> a.patch("{\"$inc\": {\"n\": 1}}"))
        .isInstanceOf(IllegalStateException.class);
    assertThat(join(b.patch("{\"$inc\": {\"n\": 1}}")).state().get("n").asInt()).isEqualTo(21);
    a.close(); // twice does nothing
  }

  @Test
  void compactionKeepsTheObjectWhole() throws Exception {
    SharedObject a = one.share(name, json("{\"n\": 0}"));
    int total = 1200;
    List<CompletableFuture<Patched>> sent = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      sent.add(a.patch("{\"$inc\": {\"n\": 1}}"));
    }
    for (CompletableFuture<Patched> f : sent) {
      join(f);
    }
    CompactionResult r = one.compact(1);
    assertThat(r.revisionsRemoved()).isEqualTo(total + 1); // the defaults and every patch
    assertThat(one.compact(1).revisionsRemoved()).isZero();
    SharedObject late = two.share(name, json("{}"));
    await().atMost(WAIT).until(() -> late.version() == total);
    assertThat(late.get()).isEqualTo(json("{\"n\": " + total + "}"));
    assertThat(join(late.patch("{\"$inc\": {\"n\": 1}}")).version()).isEqualTo(total + 1);
  }
}
