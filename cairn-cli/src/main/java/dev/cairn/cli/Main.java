package dev.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.Change;
import dev.cairn.CheckReport;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.InvalidDocumentException;
import dev.cairn.InvalidLocationException;
import dev.cairn.NotFoundException;
import dev.cairn.Patched;
import dev.cairn.RecoveryReport;
import dev.cairn.ReplicationResult;
import dev.cairn.Revision;
import dev.cairn.SharedObject;
import dev.cairn.StalePatchException;
import dev.cairn.StoreFormatException;
import dev.cairn.Subscription;
import dev.cairn.UnavailableException;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code cairn} command: one method per document command, with its help beside it; the longer
 * commands ({@code demo}, {@code oplog}, {@code serve}, {@code serve-counter}) are classes of their
 * own.
 */
@Command(
    name = "cairn",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT, // every command answers --help, -h and --version
    version = "cairn 0.1.0",
    description = "Persistent JSON documents that many processes share and update at once.",
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  ok",
      "  1  unexpected error",
      "  2  usage error",
      "  3  not found",
      "  4  conflict, the document already exists, or a stale conditional patch",
      "  5  invalid input: id, JSON, revision, location, credentials; a damaged store",
      "  6  unavailable: a server is down, unreachable or did not answer in time; try again",
      "",
      "Documents are printed as one line of JSON. The store is --store, else $CAIRN_STORE,"
          + " else ./cairn-data."
    },
    subcommands = {
      Demo.class,
      DemoWorkers.Worker.class,
      DemoWorkers.Sharer.class,
      CounterServer.class,
      OplogCommand.class,
      Serve.class,
      ConsoleCommand.class,
      NodeAccounts.UserCommand.class,
      NodeAccounts.SessionCommand.class,
      Completion.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  @picocli.CommandLine.Spec CommandLine.Model.CommandSpec spec;

  static final int OK = 0;
  static final int UNEXPECTED = 1;
  static final int USAGE = 2;
  static final int NOT_FOUND = 3;
  static final int CONFLICT = 4;
  static final int INVALID = 5;
  static final int UNAVAILABLE = 6;

  @Option(
      names = "--store",
      paramLabel = "LOCATION",
      description =
          "Store: a directory (or file:DIR), mem:, redis://HOST[:PORT][/DB][?namespace=NAME],"
              + " jdbc:postgresql://..., jdbc:mariadb://..., jdbc:mysql://..., or a node's"
              + " cairn+http(s)://token:TOKEN@HOST:PORT (oplogs only)."
              + " Default: $CAIRN_STORE or ./cairn-data.",
      scope = CommandLine.ScopeType.INHERIT)
  String store;

  @Option(
      names = "--durability",
      paramLabel = "MODE",
      description = "SYNC (fsync before a write returns; default) or OS.",
      scope = CommandLine.ScopeType.INHERIT)
  Durability durability = Durability.SYNC;

  // the descriptions several commands share, written once
  private static final String ID_HELP = "The document's id.";
  private static final String JSON_HELP =
      "The document as a JSON object; read from stdin if left out.";

  private final InputStream in;
  private final PrintWriter out;
  private final PrintWriter err;

  Main(InputStream in, PrintWriter out, PrintWriter err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    dev.cairn.node.NodeMain.keepJettyQuiet(); // before anything logs
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    System.exit(
        run(System.in, out, new PrintWriter(System.err, true, StandardCharsets.UTF_8), args));
  }

  /** Runs the command line and returns its exit code. */
  static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cmd = new CommandLine(new Main(in, out, err));
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.getHelpSectionMap()
        .put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST_HEADING, help -> "");
    cmd.getHelpSectionMap()
        .put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Main::commandList);
    cmd.setExitCodeExceptionMapper(Main::exitCode);
    cmd.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          int code = exitCode(e);
          // Cairn's own exceptions and refused arguments say what failed; anything else is a
          // bug, named by its class
          boolean explained =
              e instanceof dev.cairn.CairnException || e instanceof IllegalArgumentException;
          err.println("cairn: " + (explained ? e.getMessage() : e.toString()));
          return code;
        });
    int code = cmd.execute(args);
    out.flush();
    return code;
  }

  /** A heading of the top command's help and the commands under it. */
  record CommandGroup(String heading, List<String> commands) {}

  /** The top command's commands, grouped by what they work on, in the order a newcomer needs. */
  static final List<CommandGroup> COMMAND_GROUPS =
      List.of(
          new CommandGroup(
              "Documents",
              List.of(
                  "put",
                  "create",
                  "get",
                  "update",
                  "patch",
                  "delete",
                  "ls",
                  "conflicts",
                  "resolve",
                  "history",
                  "watch")),
          new CommandGroup("Live objects", List.of("share")),
          new CommandGroup("Oplogs", List.of("oplog")),
          new CommandGroup(
              "Servers", List.of("serve", "user", "session", "serve-counter", "console")),
          new CommandGroup(
              "Tools",
              List.of(
                  "demo",
                  "export",
                  "import",
                  "sync",
                  "compact",
                  "check",
                  "recover",
                  "completion",
                  "help")));

  /** The command list of a help: the top command's in groups, a nested command's as picocli has. */
  private static String commandList(CommandLine.Help help) {
    Map<String, CommandLine.Help> commands = help.subcommands();
    if (commands.isEmpty()) {
      return "";
    }
    if (help.commandSpec().parent() != null) {
      return "Commands:%n".formatted() + help.commandList(commands);
    }
    Map<String, CommandLine.Help> left = new LinkedHashMap<>(commands);
    StringBuilder out = new StringBuilder();
    for (CommandGroup group : COMMAND_GROUPS) {
      Map<String, CommandLine.Help> these = new LinkedHashMap<>();
      for (String name : group.commands()) {
        CommandLine.Help h = left.remove(name);
        if (h != null) {
          these.put(name, h);
        }
      }
      if (!these.isEmpty()) {
        out.append("%n%s:%n".formatted(group.heading())).append(help.commandList(these));
      }
    }
    if (!left.isEmpty()) {
      out.append("%nOther commands:%n".formatted()).append(help.commandList(left));
    }
    return out.toString();
  }

  static int exitCode(Throwable e) {
    if (e instanceof NotFoundException) {
      return NOT_FOUND;
    }
    if (e instanceof ConflictException || e instanceof StalePatchException) {
      return CONFLICT;
    }
    if (e instanceof InvalidDocumentException
        || e instanceof InvalidLocationException
        || e instanceof StoreFormatException
        || e instanceof IllegalArgumentException) {
      return INVALID;
    }
    if (e instanceof CommandLine.ParameterException) {
      return USAGE;
    }
    if (e instanceof UnavailableException) {
      return UNAVAILABLE;
    }
    return UNEXPECTED;
  }

  /** The command's stdin. */
  InputStream in() {
    return in;
  }

  String location() {
    if (store != null) {
      return store;
    }
    String env = System.getenv("CAIRN_STORE");
    return env == null || env.isBlank() ? "cairn-data" : env;
  }

  DocumentStore open() {
    return Cairn.builder(location()).durability(durability).open();
  }

  DocumentStore open(String location) {
    return Cairn.builder(location).durability(durability).open();
  }

  /** Opens the store for a command that only reads: it must exist, and nothing is created. */
  DocumentStore openExisting() {
    return Cairn.builder(location()).durability(durability).create(false).open();
  }

  private ObjectNode body(String id, String json) throws IOException {
    ObjectNode doc = Json.parseObject(json != null ? json : readAll(in));
    if (doc.has("_id") && !doc.get("_id").asText().equals(id)) {
      throw new InvalidDocumentException(
          "JSON has _id '" + doc.get("_id").asText() + "' but the id given is '" + id + "'");
    }
    ObjectNode withId = Json.MAPPER.createObjectNode().put("_id", Validation.id(id));
    doc.remove("_id");
    withId.setAll(doc);
    return withId;
  }

  private static String readAll(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }

  private void printRev(String id, String rev) {
    out.println(Json.write(Json.MAPPER.createObjectNode().put("_id", id).put("_rev", rev)));
  }

  @Command(
      name = "put",
      description = {
        "Write a document. JSON from the argument or stdin.",
        "With a _rev in the JSON (as get prints it), a strict update of that revision, as"
            + " CouchDB's PUT: exit 4 if another writer got there first, so get | edit | put never"
            + " overwrites a change it did not see. Without _rev, create or replace (upsert)."
      })
  int put(
      @Parameters(paramLabel = "ID", description = ID_HELP) String id,
      @Parameters(paramLabel = "JSON", arity = "0..1", description = JSON_HELP) String json)
      throws IOException {
    ObjectNode doc = body(id, json);
    try (DocumentStore s = open()) {
      printRev(id, doc.has("_rev") ? s.update(doc) : s.upsert(doc));
    }
    return OK;
  }

  @Command(name = "create", description = "Create a document; fails (exit 4) if the id exists.")
  int create(
      @Parameters(paramLabel = "ID", description = ID_HELP) String id,
      @Parameters(paramLabel = "JSON", arity = "0..1", description = JSON_HELP) String json)
      throws IOException {
    ObjectNode doc = body(id, json);
    try (DocumentStore s = open()) {
      printRev(id, s.create(doc));
    }
    return OK;
  }

  @Command(
      name = "update",
      description =
          "Update a document based on revision REV; fails (exit 4) if REV is not current.")
  int update(
      @Parameters(paramLabel = "ID", description = ID_HELP) String id,
      @Parameters(paramLabel = "JSON", description = "The new content, a JSON object.") String json,
      @Option(
              names = "--rev",
              required = true,
              paramLabel = "REV",
              description = "The revision the new content is based on.")
          String rev,
      @Option(
              names = "--keep-both",
              description = "Store a stale update as a conflict instead of failing.")
          boolean keepBoth)
      throws IOException {
    ObjectNode doc = body(id, json);
    doc.put("_rev", rev);
    try (DocumentStore s = open()) {
      printRev(
          id, s.update(doc, keepBoth ? dev.cairn.WriteMode.KEEP_BOTH : dev.cairn.WriteMode.STRICT));
    }
    return OK;
  }

  @Command(
      name = "patch",
      description = {
        "Apply MongoDB update operators to a document, e.g. '{\"$inc\":{\"n\":1}}', and print"
            + " it. Exit 3 if it does not exist, unless --upsert."
      })
  int patch(
      @Parameters(paramLabel = "ID", description = ID_HELP) String id,
      @Parameters(
              paramLabel = "UPDATE",
              arity = "0..1",
              description = "MongoDB update operators, a JSON object; read from stdin if left out.")
          String update,
      @Option(
              names = "--upsert",
              description =
                  "Create the document if it does not exist: the update applied to an empty"
                      + " document, with $setOnInsert's fields (as MongoDB's upsert).")
          boolean upsert)
      throws IOException {
    String operators = update != null ? update : readAll(in);
    try (DocumentStore s = open()) {
      out.println(
          Json.write(upsert ? s.patchOrCreate(id, operators) : patchExisting(s, id, operators)));
    }
    return OK;
  }

  private static ObjectNode patchExisting(DocumentStore s, String id, String operators) {
    try {
      return s.patch(id, operators);
    } catch (NotFoundException e) {
      throw new NotFoundException(e.getMessage() + "; patch --upsert creates it");
    }
  }

  @Command(name = "get", description = "Print a document (its winning revision, or --rev REV).")
  int get(
      @Parameters(paramLabel = "ID", description = ID_HELP) String id,
      @Option(
              names = "--rev",
              paramLabel = "REV",
              description = "Print this revision instead of the winner.")
          String rev) {
    try (DocumentStore s = openExisting()) {
      ObjectNode doc =
          (rev == null ? s.get(id) : s.get(id, rev))
              .orElseThrow(
                  () ->
                      new NotFoundException(
                          rev == null
                              ? "document '" + id + "' does not exist"
                              : "revision " + rev + " of '" + id + "' does not exist"));
      out.println(Json.write(doc));
    }
    return OK;
  }

  @Command(name = "delete", description = "Delete a document (leaves a tombstone revision).")
  int delete(
      @Parameters(paramLabel = "ID", description = ID_HELP) String id,
      @Option(names = "--rev", paramLabel = "REV", description = "Only if REV is still current.")
          String rev) {
    try (DocumentStore s = open()) {
      printRev(id, rev == null ? s.delete(id) : s.delete(id, rev));
    }
    return OK;
  }

  @Command(name = "ls", description = "List the ids of all documents, sorted.")
  int ls() {
    try (DocumentStore s = openExisting()) {
      s.ids().forEach(out::println);
    }
    return OK;
  }

  @Command(
      name = "conflicts",
      description = "List the conflicting revisions of a document, one a line.")
  int conflicts(@Parameters(paramLabel = "ID", description = ID_HELP) String id) {
    try (DocumentStore s = openExisting()) {
      s.conflicts(id).forEach(out::println);
    }
    return OK;
  }

  @Command(
      name = "resolve",
      description = {
        "Settle a document's conflicts: keep revision REV (the others are deleted), or delete"
            + " every conflict whose data the winner already holds (--subsumed).",
        "--subsumed prints the revisions it deleted and the conflicts left: {\"_id\","
            + " \"removed\": [...], \"conflicts\": [...]}."
      })
  int resolve(
      @Parameters(paramLabel = "ID", description = ID_HELP) String id,
      @Option(names = "--keep", paramLabel = "REV", description = "The live revision to keep.")
          String keep,
      @Option(
              names = "--subsumed",
              description =
                  "Delete each conflict whose every field the winner holds with an equal value.")
          boolean subsumed) {
    if ((keep == null) == !subsumed) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "resolve takes either --keep REV or --subsumed");
    }
    try (DocumentStore s = open()) {
      if (keep != null) {
        printRev(id, s.resolve(id, keep));
        return OK;
      }
      ObjectNode result = Json.MAPPER.createObjectNode().put("_id", id);
      s.resolve(id, dev.cairn.Resolution.SUBSUMED).forEach(result.putArray("removed")::add);
      s.conflicts(id).forEach(result.putArray("conflicts")::add);
      out.println(Json.write(result));
    }
    return OK;
  }

  @Command(
      name = "history",
      description = "List a document's revisions, newest first, as JSON lines.")
  int history(@Parameters(paramLabel = "ID", description = ID_HELP) String id) {
    try (DocumentStore s = openExisting()) {
      for (Revision r : s.history(id)) {
        out.println(Json.write(Json.MAPPER.valueToTree(r)));
      }
    }
    return OK;
  }

  @Command(
      name = "watch",
      description = {
        "Print each change, by any process, as one JSON line as it happens (Ctrl-C stops).",
        "When the server of the store goes away, says so on stderr, keeps trying, and prints what"
            + " was written meanwhile once it is back."
      })
  int watch(
      @Parameters(
              paramLabel = "ID",
              arity = "0..*",
              description = "Only changes to these documents; every change if none.")
          List<String> ids,
      @Option(names = "--count", paramLabel = "N", description = "Stop after N changes.")
          Integer count,
      @Option(
              names = "--since",
              paramLabel = "SEQ",
              description =
                  "First print the changes after sequence number SEQ (each change printed has"
                      + " its seq: pass the last one seen to resume), then follow. 0: from the"
                      + " start.")
          Long since)
      throws InterruptedException {
    if (since != null && since < 0) {
      throw new IllegalArgumentException("--since is a sequence number, 0 or more; got " + since);
    }
    Set<String> only = ids == null ? Set.of() : Set.copyOf(ids);
    only.forEach(Validation::id);
    BlockingQueue<Change> changes = new LinkedBlockingQueue<>();
    try (DocumentStore s = openExisting();
        Subscription sub =
            s.listen(
                new dev.cairn.ChangeListener() {
                  @Override
                  public void onChange(Change c) {
                    if (only.isEmpty() || only.contains(c.id())) {
                      changes.add(c);
                    }
                  }

                  @Override
                  public void onFeedNotice(dev.cairn.FeedNotice notice) {
                    err.println("cairn: " + notice.message());
                    err.flush();
                  }
                })) {
      err.println("cairn: watching " + s.location() + (only.isEmpty() ? "" : " " + only));
      // the past is read after listening starts, so nothing falls between; what both saw is
      // printed once, by its sequence number
      long printed = since == null ? -1 : since;
      List<Change> past = since == null ? List.of() : s.changes(since);
      int seen = 0;
      for (int i = 0; i < past.size() && (count == null || seen < count); i++) {
        Change c = past.get(i);
        printed = c.seq();
        if (only.isEmpty() || only.contains(c.id())) {
          printChange(c);
          seen++;
        }
      }
      while (count == null || seen < count) {
        Change c = changes.take();
        if (c.seq() > printed) {
          printed = c.seq();
          printChange(c);
          seen++;
        }
      }
    }
    return OK;
  }

  private void printChange(Change c) {
    out.println(Json.write(Json.MAPPER.valueToTree(c)));
    out.flush();
  }

  @Command(
      name = "share",
      description = {
        "A live shared object: print its state, apply a patch of MongoDB update operators"
            + " (--patch), or print its state after every change by any process (--watch).",
        "Each state is printed as {\"version\": V, \"state\": {...}}: pass V to --if-version.",
        "The first process to share NAME creates it from --defaults."
      })
  int share(
      @Parameters(paramLabel = "NAME", description = "The shared object's name.") String name,
      @Option(
              names = "--defaults",
              paramLabel = "JSON",
              description = "The object to start from if NAME does not exist yet. Default: {}.")
          String defaults,
      @Option(
              names = "--patch",
              paramLabel = "UPDATE",
              description = "Apply UPDATE, e.g. '{\"$inc\":{\"n\":1}}', and print the state.")
          String patch,
      @Option(
              names = "--if-version",
              paramLabel = "V",
              description =
                  "With --patch: reject it (exit 4) if what it touches changed after version V;"
                      + " a V the object has not reached is invalid (exit 5).")
          Long ifVersion,
      @Option(names = "--watch", description = "Print the state, then again after every change.")
          boolean watch,
      @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N.")
          Integer count)
      throws Exception {
    if (patch != null && watch) {
      throw new IllegalArgumentException("--patch and --watch do not go together");
    }
    try (DocumentStore s = open();
        SharedObject obj = s.share(name, defaults == null ? "{}" : defaults)) {
      if (patch != null) {
        try {
          Patched p =
              (ifVersion == null ? obj.patch(patch) : obj.patchIfUnchanged(ifVersion, patch)).get();
          printState(p.version(), p.state());
        } catch (ExecutionException e) {
          throw e.getCause() instanceof RuntimeException r ? r : e;
        }
      } else if (watch) {
        BlockingQueue<Patched> states = new LinkedBlockingQueue<>();
        try (Subscription sub =
            obj.observe(
                "",
                (path, state, version) -> states.add(new Patched(version, (ObjectNode) state)))) {
          printState(obj.version(), obj.get());
          for (int seen = 0; count == null || seen < count; seen++) {
            Patched next = states.take();
            printState(next.version(), next.state());
          }
        }
      } else {
        printState(obj.version(), obj.get());
      }
    }
    return OK;
  }

  private void printState(long version, ObjectNode state) {
    ObjectNode line = Json.MAPPER.createObjectNode().put("version", version);
    line.set("state", state);
    out.println(Json.write(line));
    out.flush();
  }

  private static final String PROGRESS_HELP =
      "Report progress on stderr (it is reported anyway when stderr is a terminal).";

  /** Whether to report progress: asked for, or a person is watching. */
  private static boolean showProgress(boolean asked) {
    return asked || System.console() != null;
  }

  @Command(
      name = "sync",
      description = {
        "Replicate both ways between two stores until they agree, and print what was copied.",
        "On a long run, reports the documents and revisions copied and the rate on stderr."
      })
  int sync(
      @Parameters(paramLabel = "SRC", description = "One store's location.") String src,
      @Parameters(paramLabel = "DST", description = "The other store's location.") String dst,
      @Option(names = "--progress", description = PROGRESS_HELP) boolean progress) {
    try (DocumentStore a = open(src);
        DocumentStore b = open(dst)) {
      boolean report = showProgress(progress);
      ReplicationResult forth = a.pushTo(b, progressOf(report, a, b));
      ReplicationResult back = b.pushTo(a, progressOf(report, b, a));
      ReplicationResult r =
          new ReplicationResult(
              forth.documents() + back.documents(),
              forth.revisions() + back.revisions(),
              back.sourceSequence());
      out.println(Json.write(Json.MAPPER.valueToTree(r)));
    }
    return OK;
  }

  /** Reports one direction's running totals about once a second, and when it is done. */
  private java.util.function.Consumer<ReplicationResult> progressOf(
      boolean report, DocumentStore from, DocumentStore to) {
    if (!report) {
      return running -> {};
    }
    long start = System.nanoTime();
    long last = from.lastSequence();
    long[] reported = {start};
    return running -> {
      long now = System.nanoTime();
      if (now - reported[0] < 1_000_000_000L && running.sourceSequence() < last) {
        return;
      }
      reported[0] = now;
      double seconds = Math.max(1e-3, (now - start) / 1e9);
      err.printf(
          "cairn: sync %s -> %s: %d revisions of %d documents copied, change %d of %d, %.0f"
              + " changes/s%n",
          from.location(),
          to.location(),
          running.revisions(),
          running.documents(),
          running.sourceSequence(),
          last,
          running.sourceSequence() / seconds);
      err.flush();
    };
  }

  @Command(
      name = "export",
      description = {
        "Print every document (its winning revision) as JSON lines.",
        "With --all: a faithful backup, for import --all: every revision of every document,"
            + " deleted and conflicting ones included, with their revision ids, and the logs of"
            + " shared objects and oplogs."
      })
  int export(
      @Option(names = "--all", description = "Every revision and log, not only the winners.")
          boolean all) {
    try (DocumentStore s = openExisting()) {
      (all ? s.exportAll() : s.all()).forEach(doc -> out.println(Json.write(doc)));
    }
    return OK;
  }

  @Command(
      name = "import",
      description = {
        "Upsert documents from JSON lines (each with an _id) in FILE, or stdin for -. A document"
            + " whose content is already that gets no new revision, so importing twice changes"
            + " nothing.",
        "With --all: read what export --all wrote, adding every revision and log entry the store"
            + " lacks, with the same revision ids (a revision whose content does not match its id"
            + " is refused).",
        "Every line is checked before anything is written: one bad line imports nothing.",
        "On a long run, reports the documents imported and the rate on stderr."
      })
  int importLines(
      @Parameters(
              paramLabel = "FILE|-",
              description = "JSON lines, as export writes them; - reads stdin.")
          String file,
      @Option(names = "--all", description = "Import a faithful backup made by export --all.")
          boolean all,
      @Option(names = "--progress", description = PROGRESS_HELP) boolean progress)
      throws IOException {
    List<ObjectNode> docs = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(
                file.equals("-") ? in : openFile(file), StandardCharsets.UTF_8))) {
      int lineNo = 0;
      for (String line; (line = reader.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          ObjectNode doc = Json.parseObject(line);
          if (!all) {
            Validation.idOf(doc);
            Validation.body(doc);
            doc.remove("_rev");
          }
          docs.add(doc);
          lines.add(lineNo);
        } catch (InvalidDocumentException e) {
          throw new InvalidDocumentException("line " + lineNo + ": " + e.getMessage(), e);
        }
      }
    }
    if (all) {
      dev.cairn.ImportResult r;
      try (DocumentStore s = open()) {
        try {
          r = s.importAll(docs);
        } catch (InvalidDocumentException e) {
          java.util.regex.Matcher m =
              java.util.regex.Pattern.compile("^object (\\d+): ").matcher(e.getMessage());
          throw m.find()
              ? new InvalidDocumentException(
                  "line "
                      + lines.get(Integer.parseInt(m.group(1)) - 1)
                      + ": "
                      + e.getMessage().substring(m.end()),
                  e)
              : e;
        }
        err.printf(
            "cairn: imported %d revisions of %d documents and %d log entries into %s%n",
            r.revisions(), r.documents(), r.entries(), s.location());
      }
      return OK;
    }
    boolean report = showProgress(progress);
    long start = System.nanoTime();
    long reported = start;
    try (DocumentStore s = open()) {
      int done = 0;
      int unchanged = 0;
      for (ObjectNode doc : docs) {
        String id = doc.get("_id").asText();
        String before = s.get(id).map(d -> d.get("_rev").asText()).orElse(null);
        if (s.upsert(doc).equals(before)) {
          unchanged++;
        }
        done++;
        long now = System.nanoTime();
        if (report && (now - reported >= 1_000_000_000L || done == docs.size())) {
          reported = now;
          err.printf(
              "cairn: imported %d of %d, %.0f documents/s%n",
              done, docs.size(), done / Math.max(1e-3, (now - start) / 1e9));
          err.flush();
        }
      }
      err.printf(
          "cairn: imported %d documents into %s (%d were unchanged)%n",
          done, s.location(), unchanged);
    }
    return OK;
  }

  private static InputStream openFile(String file) throws IOException {
    try {
      return Files.newInputStream(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("no such file: " + file, e);
    }
  }

  @Command(
      name = "check",
      description = {
        "Read every record of the store and every revision of its documents, and report what is"
            + " damaged. Nothing is locked or changed, so a store that refuses to open can be"
            + " checked.",
        "Exit 0 only if all is sound; 5 if anything is damaged."
      })
  int check(
      @Option(names = "--json", description = "Print the report as one line of JSON.")
          boolean json) {
    CheckReport r = Cairn.check(location());
    if (json) {
      ObjectNode report = Json.MAPPER.valueToTree(r);
      report.put("sound", r.sound());
      out.println(Json.write(report));
    } else {
      out.println("store      " + r.location());
      out.println("records    " + r.records());
      out.println("documents  " + r.documents());
      out.println("bytes      " + r.bytes());
      out.println(
          "damaged    " + (r.damaged().isEmpty() ? "none" : r.damaged().size() + " range(s)"));
      r.damaged().forEach(d -> out.println("  " + d));
      out.println("problems   " + (r.problems().isEmpty() ? "none" : r.problems().size()));
      r.problems().forEach(p -> out.println("  " + p));
      r.notes().forEach(n -> out.println("note       " + n));
      out.println("sound      " + (r.sound() ? "yes" : "no"));
    }
    return r.sound() ? OK : INVALID;
  }

  @Command(
      name = "recover",
      description = {
        "Write a new store in DIR holding every append of the store (a directory) that still"
            + " reads whole, skipping damaged ones, and report what was lost, by id. The damaged"
            + " store is only read."
      })
  int recover(
      @Option(
              names = "--to",
              required = true,
              paramLabel = "DIR",
              description = "A new or empty directory.")
          Path to) {
    RecoveryReport r = Cairn.recover(location(), to);
    out.println(
        "copied     " + r.records() + " records in " + r.appends() + " appends to " + r.target());
    out.println("lost       " + (r.lost().isEmpty() ? "nothing" : r.lost().size() + " range(s)"));
    r.lost().forEach(d -> out.println("  " + d));
    if (!r.idsAffected().isEmpty()) {
      out.println("check ids  " + String.join(" ", r.idsAffected()));
    }
    return OK;
  }

  @Command(
      name = "compact",
      description = "Drop old revisions, keeping the last N of every branch.")
  int compact(
      @Option(names = "--keep", paramLabel = "N", defaultValue = "10", description = "Default 10.")
          int keep) {
    try (DocumentStore s = open()) {
      Map<String, Object> result = new LinkedHashMap<>();
      var r = s.compact(keep);
      result.put("revisionsRemoved", r.revisionsRemoved());
      result.put("bytesBefore", r.bytesBefore());
      result.put("bytesAfter", r.bytesAfter());
      out.println(Json.write(Json.MAPPER.valueToTree(result)));
    }
    return OK;
  }
}
