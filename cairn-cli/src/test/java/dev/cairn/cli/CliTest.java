package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.json.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir Path dir;

  /** What one run printed, and its exit code. */
  record Result(int code, String out, String err) {
    List<String> lines() {
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    ObjectNode json() {
      return Json.parseObject(out.strip());
    }
  }

  /** Runs the command line on {@code store}, with {@code stdin} as its standard input. */
  private static Result runAt(String store, String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = store;
    System.arraycopy(args, 0, all, 2, args.length);
    int code =
        Main.run(
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            all);
    return new Result(code, out.toString(), err.toString());
  }

  private Result withStdin(String stdin, String... args) {
    return runAt(dir.resolve("store").toString(), stdin, args);
  }

  private Result run(String... args) {
    return runAt(dir.resolve("store").toString(), "", args);
  }

  /** Every command's path, nested ones included ("oplog push"), read from the command model. */
  private static List<List<String>> commandPaths(picocli.CommandLine line, List<String> above) {
    List<List<String>> out = new java.util.ArrayList<>();
    for (var sub : line.getSubcommands().entrySet()) {
      if (sub.getValue().getCommandSpec().usageMessage().hidden()
          || !sub.getKey().equals(sub.getValue().getCommandName())) {
        continue; // hidden workers, and aliases of a command already listed
      }
      List<String> path = new java.util.ArrayList<>(above);
      path.add(sub.getKey());
      out.add(path);
      out.addAll(commandPaths(sub.getValue(), path));
    }
    return out;
  }

  private static picocli.CommandLine commandModel() {
    return new picocli.CommandLine(
        new Main(
            InputStream.nullInputStream(),
            new PrintWriter(new StringWriter()),
            new PrintWriter(new StringWriter())));
  }

  @Test
  void everyParameterAndOptionOfEveryCommandIsDescribed() {
    picocli.CommandLine top = commandModel();
    List<String> undescribed = new java.util.ArrayList<>();
    for (List<String> path : commandPaths(top, List.of())) {
      picocli.CommandLine line = top;
      for (String name : path) {
        line = line.getSubcommands().get(name);
      }
      for (var arg : line.getCommandSpec().args()) {
        if (!arg.hidden() && String.join("", arg.description()).isBlank()) {
          undescribed.add(String.join(" ", path) + " " + arg.paramLabel());
        }
      }
    }
    assertThat(undescribed).isEmpty();
  }

  @Test
  void theTopHelpListsEveryCommandUnderItsGroupInOrder() {
    String help = run("--help").out();
    assertThat(help).doesNotContain("Other commands:"); // every command has a group
    int last = -1;
    for (Main.CommandGroup group : Main.COMMAND_GROUPS) {
      int heading = help.indexOf("\n" + group.heading() + ":\n");
      assertThat(heading).as(group.heading()).isGreaterThan(last);
      for (String command : group.commands()) {
        int at = help.indexOf("\n  " + command + " ", heading);
        assertThat(at).as(command).isGreaterThan(last);
        last = at;
      }
    }
  }

  @Test
  void everyCommandPrintsItsHelpAndExitsZero() {
    List<List<String>> paths = commandPaths(commandModel(), List.of());
    assertThat(paths).hasSizeGreaterThan(20);
    for (List<String> path : paths) {
      for (String flag : List.of("--help", "-h")) {
        List<String> args = new java.util.ArrayList<>(path);
        args.add(flag);
        Result help = run(args.toArray(String[]::new));
        assertThat(help.code()).as("%s: %s", args, help.err()).isZero();
        assertThat(help.out()).as("%s", args).contains("Usage: cairn " + String.join(" ", path));
      }
    }
  }

  @Test
  void putGetUpdateAndTheirExitCodes() {
    Result put = run("put", "alice", "{\"email\":\"a@example.com\"}");
    assertThat(put.code()).isZero();
    String rev = put.json().get("_rev").asText();

    Result get = run("get", "alice");
    assertThat(get.code()).isZero();
    assertThat(get.json().get("email").asText()).isEqualTo("a@example.com");
    assertThat(get.lines()).hasSize(1);

    Result update = run("update", "alice", "{\"email\":\"b@example.com\"}", "--rev", rev);
    assertThat(update.code()).isZero();
    Result stale = run("update", "alice", "{\"email\":\"c@example.com\"}", "--rev", rev);
    assertThat(stale.code()).isEqualTo(Main.CONFLICT);
    assertThat(stale.err()).contains("cairn: document 'alice' is at rev");

    assertThat(run("get", "alice", "--rev", rev).json().get("email").asText())
        .isEqualTo("a@example.com");
    assertThat(run("history", "alice").lines()).hasSize(2);
  }

  @Test
  void errorsMapToTheDocumentedExitCodes() {
    run("put", "somebody", "{}");
    assertThat(run("get", "nobody").code()).isEqualTo(Main.NOT_FOUND);
    assertThat(run("put", "../etc", "{}").code()).isEqualTo(Main.INVALID);
    assertThat(run("put", "x", "[1]").code()).isEqualTo(Main.INVALID);
    assertThat(run("put", "x", "{oops").err()).contains("not valid JSON");
    assertThat(run("create", "x", "{}").code()).isZero();
    assertThat(run("create", "x", "{}").code()).isEqualTo(Main.CONFLICT);
    assertThat(run("get", "x", "--rev", "nonsense").code()).isEqualTo(Main.INVALID);
    assertThat(run("frobnicate").code()).isEqualTo(Main.USAGE);
    assertThat(run("update", "x", "{}").code()).isEqualTo(Main.USAGE); // --rev is required
    assertThat(runAt("nosuch://h/0", "", "ls").code()).isEqualTo(Main.INVALID);
  }

  @Test
  void patchAppliesUpdateOperators() {
    run("put", "doc", "{\"n\":1}");

    Result patched = run("patch", "doc", "{\"$inc\":{\"n\":41},\"$set\":{\"s\":\"x\"}}");

    assertThat(patched.code()).isZero();
    assertThat(patched.json().get("n").asInt()).isEqualTo(42);
    assertThat(run("patch", "doc", "{\"$inc\":{\"s\":1}}").code()).isEqualTo(Main.INVALID);
    assertThat(run("patch", "nobody", "{\"$inc\":{\"n\":1}}").code()).isEqualTo(Main.NOT_FOUND);
  }

  @Test
  void putReadsJsonFromStdin() {
    assertThat(withStdin("{\"from\":\"stdin\"}", "put", "doc").code()).isZero();
    assertThat(run("get", "doc").json().get("from").asText()).isEqualTo("stdin");
  }

  @Test
  void conflictsAndResolve() {
    String base = run("put", "doc", "{\"v\":0}").json().get("_rev").asText();
    run("update", "doc", "{\"v\":1}", "--rev", base);
    assertThat(run("update", "doc", "{\"v\":2}", "--rev", base, "--keep-both").code()).isZero();

    List<String> conflicts = run("conflicts", "doc").lines();
    assertThat(conflicts).hasSize(1);
    assertThat(run("resolve", "doc", "--keep", conflicts.get(0)).code()).isZero();
    assertThat(run("conflicts", "doc").lines()).isEmpty();
    assertThat(run("get", "doc").json().get("_rev").asText()).isEqualTo(conflicts.get(0));
  }

  @Test
  void resolveSubsumedDeletesTheConflictsTheWinnerHolds() {
    String base = run("put", "doc", "{\"a\":1}").json().get("_rev").asText();
    String next =
        run("update", "doc", "{\"a\":1,\"b\":2}", "--rev", base).json().get("_rev").asText();
    run("update", "doc", "{\"a\":1,\"b\":2,\"c\":3}", "--rev", next);
    String held =
        run("update", "doc", "{\"b\":2}", "--rev", base, "--keep-both").json().get("_rev").asText();
    String news =
        run("update", "doc", "{\"d\":4}", "--rev", base, "--keep-both").json().get("_rev").asText();

    Result resolved = run("resolve", "doc", "--subsumed");

    assertThat(resolved.code()).isZero();
    assertThat(resolved.json().get("removed").get(0).asText()).isEqualTo(held);
    assertThat(resolved.json().get("removed")).hasSize(1);
    assertThat(resolved.json().get("conflicts").get(0).asText()).isEqualTo(news);
    assertThat(run("conflicts", "doc").lines()).containsExactly(news);
    assertThat(run("resolve", "doc").code()).isEqualTo(Main.USAGE);
    assertThat(run("resolve", "doc", "--subsumed", "--keep", news).code()).isEqualTo(Main.USAGE);
    assertThat(run("conflicts", "doc").lines()).containsExactly(news);
  }

  @Test
  void deleteLsExportAndImport() throws IOException {
    run("put", "b", "{\"v\":2}");
    run("put", "a", "{\"v\":1}");
    run("put", "c", "{}");
    assertThat(run("delete", "c").code()).isZero();
    assertThat(run("ls").lines()).containsExactly("a", "b");

    String exported = run("export").out();
    Path file = Files.writeString(dir.resolve("dump.jsonl"), exported);
    Path copy = dir.resolve("copy");
    Result imported = runAt(copy.toString(), "", "import", file.toString());
    assertThat(imported.code()).isZero();
    assertThat(imported.err()).contains("imported 2 documents");
    // each document was written once, so its revision, a hash of its content, is the same
    assertThat(runAt(copy.toString(), "", "export").out()).isEqualTo(exported);
    assertThat(exported.split("\n")).hasSize(2);
    // importing again changes nothing
    Result again = runAt(copy.toString(), "", "import", file.toString());
    assertThat(again.err()).contains("imported 2 documents").contains("(2 were unchanged)");
    assertThat(runAt(copy.toString(), "", "history", "a").lines()).hasSize(1);
  }

  @Test
  void exportAllAndImportAllCopyEveryRevisionAndConflict() throws IOException {
    String base = run("put", "doc", "{\"v\":0}").json().get("_rev").asText();
    run("update", "doc", "{\"v\":1}", "--rev", base);
    run("update", "doc", "{\"v\":2}", "--rev", base, "--keep-both");
    run("put", "gone", "{}");
    run("delete", "gone");
    run("share", "counter", "--patch", "{\"$inc\":{\"n\":3}}");

    Path file = Files.writeString(dir.resolve("backup.jsonl"), run("export", "--all").out());
    Path copy = dir.resolve("copy");
    Result imported = runAt(copy.toString(), "", "import", "--all", file.toString());
    assertThat(imported.code()).isZero();
    assertThat(imported.err()).contains("imported 5 revisions of 2 documents");

    for (String[] command :
        List.of(
            new String[] {"get", "doc"},
            new String[] {"conflicts", "doc"},
            new String[] {"history", "doc"},
            new String[] {"share", "counter"})) {
      assertThat(runAt(copy.toString(), "", command).out())
          .as(String.join(" ", command))
          .isEqualTo(run(command).out());
    }
    assertThat(runAt(copy.toString(), "", "import", "--all", file.toString()).err())
        .contains("imported 0 revisions of 0 documents and 0 log entries");

    String tampered = Files.readString(file).replace("\"v\":2", "\"v\":3");
    Path bad = Files.writeString(dir.resolve("bad.jsonl"), tampered);
    Result refused = runAt(dir.resolve("other").toString(), "", "import", "--all", bad.toString());
    assertThat(refused.code()).isEqualTo(Main.INVALID);
    assertThat(refused.err()).containsPattern("line \\d+: revision .* does not match its content");
  }

  @Test
  void importChecksEveryLineBeforeWritingAny() {
    Result bad = withStdin("{\"_id\":\"ok\"}\n{\"_id\":\"../no\"}\n", "import", "-");

    assertThat(bad.code()).isEqualTo(Main.INVALID);
    assertThat(bad.err()).contains("line 2");
    assertThat(dir.resolve("store")).doesNotExist();
  }

  @Test
  void aNodesDataGoesWhereItIsToldAndNeverAmongOtherFiles() throws IOException {
    assertThat(Serve.dataDirectory(null, null))
        .isEqualTo(Path.of("cairn-node-data").toAbsolutePath());
    Path fromEnvironment = dir.resolve("env-data");
    assertThat(Serve.dataDirectory(null, fromEnvironment.toString())).isEqualTo(fromEnvironment);
    Path given = dir.resolve("given");
    assertThat(Serve.dataDirectory(given, fromEnvironment.toString())).isEqualTo(given);

    Path checkout = Files.createDirectories(dir.resolve("checkout"));
    Files.writeString(checkout.resolve("pom.xml"), "<project/>");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Serve.dataDirectory(checkout, null))
        .isInstanceOf(dev.cairn.InvalidLocationException.class)
        .hasMessageContaining("holds other files (pom.xml)");
    Path node = Files.createDirectories(dir.resolve("node/table"));
    assertThat(Serve.dataDirectory(node.getParent(), null)).isEqualTo(node.getParent());
  }

  @Test
  void commandsThatOnlyReadNeverCreateAStore() {
    Path typo = dir.resolve("mistyped/path");
    for (String[] command :
        List.of(
            new String[] {"get", "a"},
            new String[] {"ls"},
            new String[] {"export"},
            new String[] {"history", "a"},
            new String[] {"conflicts", "a"},
            new String[] {"watch", "--count", "1"},
            new String[] {"check"})) {
      Result r = runAt(typo.toString(), "", command);
      assertThat(r.code()).as(String.join(" ", command)).isEqualTo(Main.INVALID);
      assertThat(r.err()).contains("no store at").contains(typo.toString());
    }
    assertThat(dir.resolve("mistyped")).doesNotExist();
    assertThat(runAt(typo.toString(), "", "put", "a", "{}").code()).isZero(); // a write creates
    assertThat(runAt(typo.toString(), "", "get", "a").code()).isZero();
  }

  @Test
  void checkAndRecoverADamagedStore() throws IOException {
    for (int i = 0; i < 20; i++) {
      run("put", "doc-" + i, "{\"i\":" + i + "}");
    }
    Result sound = run("check");
    assertThat(sound.code()).isZero();
    assertThat(sound.out())
        .contains("records    20")
        .contains("documents  20")
        .contains("sound      yes");

    Path log = dir.resolve("store/data-00000001.log");
    byte[] bytes = Files.readAllBytes(log);
    int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("{\"i\":7}");
    bytes[at + 5] = '8'; // doc-7's body, under its checksum
    Files.write(log, bytes);

    Result refused = run("get", "doc-1");
    assertThat(refused.code()).isEqualTo(Main.INVALID);
    assertThat(refused.err()).contains("is damaged at byte").contains("cairn recover");

    Result check = run("check");
    assertThat(check.code()).isEqualTo(Main.INVALID);
    assertThat(check.out())
        .contains("damaged    1 range(s)")
        .contains("names doc-7")
        .contains("sound      no");
    ObjectNode json = Json.parseObject(run("check", "--json").out().strip());
    assertThat(json.get("sound").asBoolean()).isFalse();
    assertThat(json.get("damaged").get(0).get("ids").get(0).asText()).isEqualTo("doc-7");

    Path target = dir.resolve("saved");
    Result recover = run("recover", "--to", target.toString());
    assertThat(recover.code()).isZero();
    assertThat(recover.out()).contains("copied     19 records").contains("check ids  doc-7");
    assertThat(runAt(target.toString(), "", "ls").lines()).hasSize(19).doesNotContain("doc-7");
    assertThat(runAt(target.toString(), "", "check").code()).isZero();
    assertThat(Files.readAllBytes(log)).isEqualTo(bytes); // the damaged store is left as it was
  }

  @Test
  void syncMakesTwoStoresAgree() {
    Path other = dir.resolve("other");
    run("put", "here", "{}");
    assertThat(runAt(other.toString(), "", "put", "there", "{}").code()).isZero();

    Result sync = run("sync", dir.resolve("store").toString(), other.toString());

    assertThat(sync.code()).isZero();
    assertThat(sync.json().get("revisions").asInt()).isEqualTo(2);
    assertThat(sync.err()).isEmpty(); // no terminal, no --progress: nothing on stderr
    assertThat(run("ls").lines()).containsExactly("here", "there");
  }

  @Test
  void syncAndImportReportProgressOnStderrWhenAsked() {
    Path other = dir.resolve("other");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 2500; i++) {
      lines.append("{\"_id\":\"d").append(i).append("\",\"i\":").append(i).append("}\n");
    }
    Result imported = withStdin(lines.toString(), "import", "-", "--progress");
    assertThat(imported.code()).isZero();
    assertThat(imported.err())
        .containsPattern("cairn: imported 2500 of 2500, \\d+ documents/s")
        .contains("imported 2500 documents");
    assertThat(withStdin(lines.toString(), "import", "-").err())
        .doesNotContain("documents/s"); // no terminal, no --progress

    Result sync = run("sync", dir.resolve("store").toString(), other.toString(), "--progress");
    assertThat(sync.code()).isZero();
    assertThat(sync.err())
        .containsPattern(
            "cairn: sync \\S+ -> \\S+: 2500 revisions of 2500 documents copied, change 2500 of"
                + " 2500, \\d+ changes/s");
    assertThat(runAt(other.toString(), "", "ls").lines()).hasSize(2500);
  }

  @Test
  void watchPrintsChangesAsTheyHappen() throws Exception {
    run("put", "unwanted", "{}"); // watch reads: the store must exist
    CompletableFuture<Result> watching =
        CompletableFuture.supplyAsync(() -> run("watch", "--count", "2", "wanted"));
    // writes go on until the watcher, which starts asynchronously, has seen two of them
    int i = 0;
    while (!watching.isDone() && i < 10_000) {
      run("put", "unwanted", "{}");
      run("put", "wanted", "{\"i\":" + i++ + "}");
    }
    Result watched = watching.get(30, TimeUnit.SECONDS);

    assertThat(watched.code()).isZero();
    assertThat(watched.lines()).hasSize(2);
    assertThat(watched.lines()).allSatisfy(l -> assertThat(l).contains("\"id\":\"wanted\""));
  }

  @Test
  void shareCreatesPatchesAndPrintsASharedObject() {
    Result created = run("share", "cfg", "--defaults", "{\"n\":1}");
    assertThat(created.code()).isZero();
    assertThat(created.out().trim()).isEqualTo("{\"version\":0,\"state\":{\"n\":1}}");

    Result patched = run("share", "cfg", "--patch", "{\"$inc\":{\"n\":2},\"$push\":{\"l\":\"x\"}}");
    assertThat(patched.code()).isZero();
    assertThat(patched.out().trim()).isEqualTo("{\"version\":1,\"state\":{\"n\":3,\"l\":[\"x\"]}}");

    Result stale = run("share", "cfg", "--patch", "{\"$set\":{\"n\":0}}", "--if-version", "0");
    assertThat(stale.code()).isEqualTo(4);
    assertThat(stale.err()).contains("changed since");

    Result bad = run("share", "cfg", "--patch", "{\"$inc\":{\"l\":1}}");
    assertThat(bad.code()).isEqualTo(5);
    assertThat(run("share", "cfg").out().trim())
        .isEqualTo("{\"version\":1,\"state\":{\"n\":3,\"l\":[\"x\"]}}");
    assertThat(run("share", "cfg", "--patch", "{}", "--watch").code()).isEqualTo(5);
  }

  @Test
  void aVersionPrintedByShareMakesAConditionalPatchAndOneNotYetReachedIsRefused() {
    run("share", "cfg", "--defaults", "{\"a\":0,\"b\":0}");
    long seen = run("share", "cfg").json().get("version").asLong();
    run("share", "cfg", "--patch", "{\"$inc\":{\"b\":1}}"); // another path: no conflict

    Result based =
        run("share", "cfg", "--patch", "{\"$set\":{\"a\":5}}", "--if-version", "" + seen);
    assertThat(based.code()).as(based.err()).isZero();
    assertThat(based.json().get("state").get("a").asInt()).isEqualTo(5);

    long now = based.json().get("version").asLong();
    Result ahead =
        run("share", "cfg", "--patch", "{\"$set\":{\"a\":6}}", "--if-version", "" + (now + 1));
    assertThat(ahead.code()).isEqualTo(Main.INVALID);
    assertThat(ahead.err())
        .isEqualTo(
            "cairn: the patch is based on version %d, but the object's version is %d%n"
                .formatted(now + 1, now));
    assertThat(run("share", "cfg").json().get("version").asLong()).isEqualTo(now);
  }

  @Test
  void putWithARevIsAStrictUpdateSoGetEditPutNeverOverwritesAnotherWriter() {
    run("put", "doc", "{\"n\":1}");
    ObjectNode seen = run("get", "doc").json();

    ObjectNode mine = seen.deepCopy().put("n", 2);
    assertThat(withStdin(Json.write(mine), "put", "doc").code()).isZero();
    ObjectNode theirs = seen.deepCopy().put("n", 3); // based on the same, now stale, revision
    Result stale = withStdin(Json.write(theirs), "put", "doc");
    assertThat(stale.code()).isEqualTo(Main.CONFLICT);
    assertThat(stale.err()).contains("the write was based on " + seen.get("_rev").asText());
    assertThat(run("get", "doc").json().get("n").asInt()).isEqualTo(2);

    assertThat(run("put", "doc", "{\"_rev\":\"zz\",\"n\":4}").code()).isEqualTo(Main.INVALID);
    assertThat(run("put", "doc", "{\"n\":5}").code()).isZero(); // no _rev: an upsert
    assertThat(run("get", "doc").json().get("n").asInt()).isEqualTo(5);
  }

  @Test
  void patchUpsertCreatesWithSetOnInsertAndOtherwisePatches() {
    Result missing = run("patch", "visits", "{\"$inc\":{\"n\":1}}");
    assertThat(missing.code()).isEqualTo(Main.NOT_FOUND);
    assertThat(missing.err()).contains("does not exist; patch --upsert creates it");
    assertThat(run("ls").lines()).isEmpty();

    String update = "{\"$inc\":{\"n\":1},\"$setOnInsert\":{\"first\":\"yes\"}}";
    Result created = run("patch", "visits", update, "--upsert");
    assertThat(created.code()).isZero();
    assertThat(created.json().get("n").asInt()).isEqualTo(1);
    assertThat(created.json().get("first").asText()).isEqualTo("yes");
    assertThat(created.json().get("_rev").asText()).startsWith("1-");

    String again = "{\"$inc\":{\"n\":1},\"$setOnInsert\":{\"first\":\"no\"}}";
    Result patched = run("patch", "visits", again, "--upsert");
    assertThat(patched.json().get("n").asInt()).isEqualTo(2);
    assertThat(patched.json().get("first").asText()).isEqualTo("yes");
  }

  @Test
  void watchSinceResumesTheFeedFromASequenceNumber() throws Exception {
    run("put", "a", "{}");
    run("put", "b", "{}");
    run("put", "a", "{\"v\":2}");

    Result all = run("watch", "--since", "0", "--count", "3");
    assertThat(all.lines()).hasSize(3);
    long second = Json.MAPPER.readTree(all.lines().get(1)).get("seq").asLong();

    Result resumed = run("watch", "--since", "" + second, "--count", "1", "a");
    assertThat(resumed.code()).isZero();
    JsonNode next = Json.MAPPER.readTree(resumed.out());
    assertThat(next.get("seq").asLong()).isGreaterThan(second);
    assertThat(next.get("id").asText()).isEqualTo("a");

    // the past, then what is written while it watches, each change once
    CompletableFuture<Result> following =
        CompletableFuture.supplyAsync(() -> run("watch", "--since", "" + second, "--count", "3"));
    int i = 0;
    while (!following.isDone() && i < 10_000) {
      run("put", "c", "{\"i\":" + i++ + "}");
    }
    List<String> lines = following.get(30, TimeUnit.SECONDS).lines();
    assertThat(lines).hasSize(3);
    List<Long> seqs = new java.util.ArrayList<>();
    for (String line : lines) {
      seqs.add(Json.MAPPER.readTree(line).get("seq").asLong());
    }
    assertThat(seqs).isSorted().doesNotHaveDuplicates().allMatch(seq -> seq > second);
    assertThat(seqs.get(0)).isEqualTo(second + 1);
    assertThat(run("watch", "--since", "-1").code()).isEqualTo(Main.INVALID);
  }

  @Test
  void completionPrintsAScriptThatCompletesCommandsInBash() throws Exception {
    Result script = run("completion");
    assertThat(script.code()).isZero();
    Path file = Files.writeString(dir.resolve("cairn-completion.bash"), script.out());

    Process bash =
        new ProcessBuilder(
                "bash",
                "-c",
                "source \"$1\"; COMP_WORDS=(cairn sha); COMP_CWORD=1; COMP_LINE='cairn sha';"
                    + " _complete_cairn cairn sha cairn; printf '%s\\n' \"${COMPREPLY[@]}\";"
                    + " COMP_WORDS=(cairn patch doc --up); COMP_CWORD=3;"
                    + " COMP_LINE='cairn patch doc --up'; _complete_cairn cairn --up doc;"
                    + " printf '%s\\n' \"${COMPREPLY[@]}\"",
                "completion-test",
                file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(bash.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(out.lines()).contains("share", "--upsert");
  }

  @Test
  void shareWatchPrintsTheStateAfterEveryChange() throws Exception {
    run("share", "live", "--defaults", "{\"n\":0}");
    CompletableFuture<Result> watching =
        CompletableFuture.supplyAsync(() -> run("share", "live", "--watch", "--count", "2"));
    // patches go on until the watcher, which starts asynchronously, has seen two of them
    int i = 0;
    while (!watching.isDone() && i < 10_000) {
      run("share", "live", "--patch", "{\"$inc\":{\"n\":1}}");
      i++;
    }
    Result watched = watching.get(30, TimeUnit.SECONDS);

    assertThat(watched.code()).isZero();
    List<String> lines = watched.lines();
    assertThat(lines).hasSize(3); // the state, then two changes
    JsonNode first = Json.MAPPER.readTree(lines.get(1));
    JsonNode second = Json.MAPPER.readTree(lines.get(2));
    assertThat(second.get("state").get("n").asLong())
        .isEqualTo(first.get("state").get("n").asLong() + 1);
    assertThat(second.get("version").asLong()).isEqualTo(first.get("version").asLong() + 1);
  }

  @Test
  void oplogPushesReadsAndKeepsEveryStoreOfTheChannel() {
    assertThat(run("oplog", "push", "core", "counter", "/visits", "2").out().trim()).isEqualTo("2");
    assertThat(run("oplog", "push", "core", "counter", "/visits", "3").out().trim()).isEqualTo("5");
    assertThat(run("oplog", "get", "core", "counter", "visits").out().trim()).isEqualTo("5");

    String a = dir.resolve("a").toString();
    String b = dir.resolve("b").toString();
    Result both = run("oplog", "--in", a, "--in", b, "push", "core", "register", "/r", "false");
    assertThat(both.code()).isZero();
    assertThat(both.out().trim()).isEqualTo("false");
    assertThat(run("oplog", "--in", b, "get", "core", "register", "r").out().trim())
        .isEqualTo("false");
    run("oplog", "--in", a, "push", "core", "set", "s", "{\"add\":\"x\"}");
    assertThat(
            run("oplog", "--in", a, "push", "core", "set", "s", "{\"remove\":\"x\"}").out().trim())
        .isEqualTo("[]");

    assertThat(run("oplog", "push", "core", "counter", "n", "{oops").code()).isEqualTo(5);
    Result unknown = run("oplog", "push", "core", "mystery", "n", "1");
    assertThat(unknown.code()).isEqualTo(5);
    assertThat(unknown.err()).contains("no reducer for type mystery");
    assertThat(run("oplog", "get", "core", "counter", "../x").code()).isEqualTo(5);
  }

  @Test
  void anOplogPushThatNoStoreTookFailsWithExitSixAndPrintsNoValue() throws IOException {
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort(); // nothing listens there once it is closed
    }
    String nowhere = "redis://127.0.0.1:" + port + "/0";
    Result push = run("oplog", "--in", nowhere, "push", "core", "counter", "n", "1");
    assertThat(push.code()).isEqualTo(Main.UNAVAILABLE);
    assertThat(push.out()).isEmpty();
    assertThat(push.err()).contains("cairn: ").contains(nowhere).doesNotContain("Jedis");

    Result get = run("oplog", "--in", nowhere, "get", "core", "counter", "n");
    assertThat(get.code()).isEqualTo(Main.UNAVAILABLE);
    assertThat(get.out()).isEmpty();

    // with an outbox, the push is held there and the command succeeds, with a warning
    Path outbox = dir.resolve("outbox");
    Result held =
        run(
            "oplog",
            "--in",
            nowhere,
            "--outbox",
            outbox.toString(),
            "push",
            "core",
            "counter",
            "n",
            "1");
    assertThat(held.code()).isZero();
    assertThat(held.out().trim()).isEqualTo("1");
    assertThat(held.err()).contains("warning").contains(nowhere);

    Path missing = dir.resolve("no-such-store");
    Result typo = run("oplog", "--in", missing.toString(), "get", "core", "counter", "n");
    assertThat(typo.code()).isEqualTo(Main.INVALID);
    assertThat(typo.err()).contains("no store at");
    assertThat(missing).doesNotExist();
  }

  @Test
  void oplogWatchPrintsNewValuesOfEveryLogOfTheChannel() throws Exception {
    Result none = run("oplog", "watch", "core", "--count", "1");
    assertThat(none.code()).isEqualTo(Main.INVALID); // no store yet: watching creates none
    assertThat(none.err()).contains("no store at");
    run("oplog", "push", "other", "counter", "first", "1"); // makes the store, not in the channel
    CompletableFuture<Result> watching =
        CompletableFuture.supplyAsync(() -> run("oplog", "watch", "core", "--count", "2"));
    // pushes go on until the watcher, which starts asynchronously, has seen two of them
    int i = 0;
    while (!watching.isDone() && i < 10_000) {
      run("oplog", "push", "core", "counter", "log-" + (i % 2), "1");
      i++;
    }
    Result watched = watching.get(30, TimeUnit.SECONDS);

    assertThat(watched.code()).isZero();
    assertThat(watched.lines()).hasSize(2);
    for (String line : watched.lines()) {
      JsonNode value = Json.MAPPER.readTree(line);
      assertThat(value.get("type").asText()).isEqualTo("counter");
      assertThat(value.get("path").asText()).startsWith("log-");
      assertThat(value.get("value").asLong()).isPositive();
    }
  }
}
