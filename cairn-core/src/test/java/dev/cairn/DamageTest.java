package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A damaged log is never repaired by deleting data: for damage at many places of a store closed
 * cleanly (so every record in it is durable), opening either gives every record or refuses with
 * nothing changed; {@code check} says what is damaged; {@code recover} copies every record outside
 * the damaged ranges it reports.
 */
class DamageTest {
  private static final int HEADER = 4096;
  @TempDir static Path shared;
  private static byte[] clean;
  private static List<Rec> records;
  private static Map<String, String> winners;

  @TempDir Path dir;

  /** A record of the log, read with the documented layout. */
  record Rec(long offset, int size, String key, byte[] payload) {
    long end() {
      return offset + size;
    }
  }

  /** 300 documents, some with several revisions, a conflict settled in one append of two. */
  @BeforeAll
  static void buildStore() throws IOException {
    Path store = shared.resolve("store");
    try (DocumentStore s = Cairn.open(store)) {
      for (int i = 0; i < 300; i++) {
        s.upsert("doc-" + i, Map.of("n", i, "text", "value of document number " + i));
      }
      for (int i = 0; i < 300; i += 7) {
        s.patch("doc-" + i, "{\"$inc\":{\"n\":1000}}");
      }
      String base = s.get("doc-150").orElseThrow().get("_rev").asText();
      s.update("doc-150", base, Map.of("side", "a"));
      s.update("doc-150", base, Map.of("side", "b"), WriteMode.KEEP_BOTH);
      var merged = s.get("doc-150").orElseThrow();
      merged.put("side", "merged");
      s.resolve(merged);
      winners = new HashMap<>();
      s.all().forEach(d -> winners.put(d.get("_id").asText(), d.get("_rev").asText()));
    }
    clean = Files.readAllBytes(store.resolve("data-00000001.log"));
    records = parse(clean);
    assertThat(records).hasSizeGreaterThan(340);
  }

  static List<Rec> parse(byte[] log) {
    ByteBuffer b = ByteBuffer.wrap(log).order(ByteOrder.LITTLE_ENDIAN);
    List<Rec> out = new ArrayList<>();
    int pos = HEADER;
    while (pos + 19 <= log.length && b.getInt(pos) != 0) {
      int n = b.getInt(pos);
      int k = Short.toUnsignedInt(b.getShort(pos + 17));
      String key = new String(log, pos + 19, k, StandardCharsets.UTF_8);
      out.add(new Rec(pos, 8 + n, key, Arrays.copyOfRange(log, pos + 19 + k, pos + 8 + n)));
      pos += 8 + n;
    }
    return out;
  }

  private static Rec record(double where) {
    return records.get((int) Math.min(records.size() - 1, where * records.size()));
  }

  private static long dataEnd() {
    return records.get(records.size() - 1).end();
  }

  static Stream<Arguments> damage() {
    List<Arguments> cases = new ArrayList<>();
    for (int at : new int[] {0, 8, 16, 24, 40}) {
      cases.add(Arguments.of("header byte " + at, false, flip(at)));
    }
    cases.add(Arguments.of("a durable mark", true, flip(512 + 5)));
    cases.add(Arguments.of("the other durable mark", true, flip(1024 + 5)));
    cases.add(Arguments.of("an unused byte of the header", true, flip(300)));
    String[] fields = {"length", "checksum", "flags", "sequence", "key length", "key", "payload"};
    int[] offsets = {1, 5, 8, 10, 17, 20, -1};
    for (double where : new double[] {0, 0.5, 0.999}) {
      for (int f = 0; f < fields.length; f++) {
        int field = f;
        cases.add(
            Arguments.of(
                fields[f] + " of the record at " + (int) (where * 100) + "%",
                false,
                (Function<byte[], byte[]>)
                    log -> {
                      Rec r = record(where);
                      int at =
                          offsets[field] >= 0 ? offsets[field] : r.size() - r.payload().length / 2;
                      log[(int) r.offset() + at] ^= 0x04;
                      return log;
                    }));
      }
      cases.add(
          Arguments.of(
              "checksum of the record at " + (int) (where * 100) + "% zeroed",
              false,
              (Function<byte[], byte[]>)
                  log -> {
                    Arrays.fill(
                        log,
                        (int) record(where).offset() + 4,
                        (int) record(where).offset() + 8,
                        (byte) 0);
                    return log;
                  }));
    }
    cases.add(
        Arguments.of(
            "a zeroed page in the middle",
            false,
            (Function<byte[], byte[]>)
                log -> {
                  int page = (int) (dataEnd() / 2 / 4096 * 4096);
                  Arrays.fill(log, page, page + 4096, (byte) 0);
                  return log;
                }));
    for (double where : new double[] {0, 0.3, 0.7, 0.999}) {
      Rec r = record(where);
      cases.add(
          Arguments.of(
              "cut inside the record at " + (int) (where * 100) + "%",
              false,
              cut(r.offset() + r.size() / 2)));
      cases.add(
          Arguments.of(
              "cut before the record at " + (int) (where * 100) + "%", false, cut(r.offset())));
    }
    cases.add(Arguments.of("cut after the header", false, cut(HEADER)));
    cases.add(Arguments.of("cut inside the header", false, cut(100)));
    cases.add(Arguments.of("cut after the data", true, cut(dataEnd())));
    return cases.stream();
  }

  private static Function<byte[], byte[]> flip(int at) {
    return log -> {
      log[at] ^= 0x01;
      return log;
    };
  }

  private static Function<byte[], byte[]> cut(long at) {
    return log -> Arrays.copyOf(log, (int) at);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damage")
  void damageIsRefusedNeverDroppedAndRecoverSavesTheRest(
      String name, boolean opens, Function<byte[], byte[]> damage) throws IOException {
    Path store = dir.resolve("store");
    Files.createDirectories(store);
    Path log = store.resolve("data-00000001.log");
    byte[] damaged = damage.apply(clean.clone());
    Files.write(log, damaged);

    boolean opened;
    try (DocumentStore s = Cairn.open(store)) {
      // it opened: then it holds every document, at the same revision
      Map<String, String> seen = new HashMap<>();
      s.all().forEach(d -> seen.put(d.get("_id").asText(), d.get("_rev").asText()));
      assertThat(seen).isEqualTo(winners);
      opened = true;
    } catch (StoreFormatException refused) {
      assertThat(refused.getMessage()).contains(log.toString()).contains("Nothing was changed");
      assertThat(Files.readAllBytes(log)).isEqualTo(damaged);
      opened = false;
    }

    assertThat(opened).as("whether the store opens").isEqualTo(opens);
    if (!opened) {
      CheckReport report = Cairn.check(store.toString());
      assertThat(report.sound()).as("check of a store that refuses to open").isFalse();
      assertThat(Files.readAllBytes(log)).isEqualTo(damaged);

      Path target = dir.resolve("recovered");
      RecoveryReport recovery = Cairn.recover(store.toString(), target);
      assertThat(Files.readAllBytes(log)).isEqualTo(damaged);
      List<Rec> salvaged = parse(Files.readAllBytes(target.resolve("data-00000001.log")));
      List<String> salvagedKeys =
          salvaged.stream().map(r -> r.key() + Arrays.hashCode(r.payload())).toList();
      for (Rec r : records) {
        boolean inDamage =
            r.end() > damaged.length
                || recovery.lost().stream()
                    .anyMatch(d -> r.offset() < d.to() && r.end() > d.from());
        if (!inDamage) {
          assertThat(salvagedKeys)
              .as("record of %s at byte %d, outside every damaged range", r.key(), r.offset())
              .contains(r.key() + Arrays.hashCode(r.payload()));
        }
      }
      assertThat(salvaged.size()).isEqualTo(recovery.records());
      // the damaged ranges are narrow: the bytes that changed, and at most the records they hit
      if (damaged.length == clean.length) {
        int first = 0;
        while (damaged[first] == clean[first]) {
          first++;
        }
        int last = damaged.length - 1;
        while (damaged[last] == clean[last]) {
          last--;
        }
        int largest = records.stream().mapToInt(Rec::size).max().orElseThrow();
        long reported =
            recovery.lost().stream()
                .filter(d -> d.from() >= HEADER)
                .mapToLong(d -> d.to() - d.from())
                .sum();
        assertThat(reported).isLessThanOrEqualTo(last - first + 1 + 2L * largest);
      }
      try (DocumentStore s = Cairn.open(target)) {
        for (String id : s.ids()) {
          assertThat(winners).containsKey(id);
        }
      }
    }
  }

  @Test
  void aFlippedBitInARecordNamesTheDocumentItBelongsTo() throws IOException {
    Path store = dir.resolve("store");
    Files.createDirectories(store);
    Rec r = record(0.5);
    byte[] damaged = clean.clone();
    damaged[(int) r.end() - 2] ^= 0x20; // the body
    Files.write(store.resolve("data-00000001.log"), damaged);

    assertThatThrownBy(() -> Cairn.open(store))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("damaged at byte " + r.offset())
        .hasMessageContaining("checksum mismatch");
    CheckReport report = Cairn.check(store.toString());
    assertThat(report.damaged()).hasSize(1);
    assertThat(report.damaged().get(0).from()).isEqualTo(r.offset());
    assertThat(report.damaged().get(0).to()).isEqualTo(r.end());
    assertThat(report.damaged().get(0).ids()).containsExactly(r.key());
    assertThat(report.records()).isEqualTo(records.size() - 1);

    RecoveryReport recovery = Cairn.recover(store.toString(), dir.resolve("recovered"));
    assertThat(recovery.idsAffected()).containsExactly(r.key());
    assertThat(recovery.records()).isEqualTo(records.size() - 1);
    assertThat(recovery.complete()).isFalse();
  }

  @Test
  void aSoundStoreChecksSound() throws IOException {
    Path store = dir.resolve("store");
    Files.createDirectories(store);
    Files.write(store.resolve("data-00000001.log"), clean);

    CheckReport report = Cairn.check(store.toString());
    assertThat(report.sound()).isTrue();
    assertThat(report.records()).isEqualTo(records.size());
    assertThat(report.documents()).isEqualTo(300);
    assertThat(report.bytes()).isEqualTo(dataEnd());
    assertThat(report.damaged()).isEmpty();
    assertThat(report.problems()).isEmpty();
  }

  @Test
  void aRevisionWhoseContentDoesNotMatchItsIdIsAProblem() throws IOException {
    // a record rewritten whole, checksum included, by something other than Cairn
    Path store = dir.resolve("store");
    Files.createDirectories(store);
    Rec r = record(0.25);
    byte[] forged = clean.clone();
    int bodyByte = (int) r.end() - 3;
    forged[bodyByte] = (byte) (forged[bodyByte] == '1' ? '2' : '1');
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(forged, (int) r.offset() + 8, r.size() - 8);
    ByteBuffer.wrap(forged)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt((int) r.offset() + 4, (int) crc.getValue());
    Files.write(store.resolve("data-00000001.log"), forged);

    CheckReport report = Cairn.check(store.toString());
    assertThat(report.sound()).isFalse();
    assertThat(report.damaged()).isEmpty();
    assertThat(report.problems())
        .singleElement()
        .asString()
        .contains(r.key())
        .contains("does not match its content");
  }

  @Test
  void recoverNeverWritesOverAnything() throws IOException {
    Path store = dir.resolve("store");
    Files.createDirectories(store);
    Files.write(store.resolve("data-00000001.log"), clean);
    Path busy = Files.createDirectories(dir.resolve("busy"));
    Files.writeString(busy.resolve("mine.txt"), "keep");

    assertThatThrownBy(() -> Cairn.recover(store.toString(), busy))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("not an empty directory");
    assertThatThrownBy(() -> Cairn.recover(store.toString(), store))
        .isInstanceOf(InvalidLocationException.class);
    assertThatThrownBy(() -> Cairn.recover(dir.resolve("nothing").toString(), dir.resolve("x")))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("no store at");
    assertThat(Files.readString(busy.resolve("mine.txt"))).isEqualTo("keep");
  }
}
