package dev.cairn.console;

import static dev.cairn.console.Api.JSON;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.CheckReport;
import dev.cairn.CompactionResult;
import dev.cairn.DamagedRange;
import dev.cairn.DocumentStore;
import dev.cairn.StoreUsage;
import io.javalin.http.Context;

/** The store as a whole: what it is, its size, compacting it, checking it. */
final class StoreRoutes {
  private final DocumentStore store;

  StoreRoutes(DocumentStore store) {
    this.store = store;
  }

  void info(Context ctx) {
    ObjectNode out = JSON.createObjectNode();
    out.put("location", store.location());
    out.put("lastSequence", store.lastSequence());
    out.put("documents", store.ids().size());
    out.put("channelsOnly", false);
    ctx.json(out);
  }

  /** Reads every log: see {@link DocumentStore#usage()}. */
  void usage(Context ctx) {
    ctx.json(JSON.valueToTree(store.usage()));
  }

  /** Compacts with the store's retention, and says what that gave back. */
  void compact(Context ctx) {
    CompactionResult result = store.compact();
    StoreUsage after = store.usage();
    ObjectNode out = JSON.createObjectNode();
    out.put("revisionsRemoved", result.revisionsRemoved());
    out.put("bytesBefore", result.bytesBefore());
    out.put("bytesAfter", result.bytesAfter());
    out.set("usage", JSON.valueToTree(after));
    ctx.json(out);
  }

  void check(Context ctx) {
    CheckReport report = store.check();
    ObjectNode out = JSON.createObjectNode();
    out.put("sound", report.sound());
    out.put("records", report.records());
    out.put("documents", report.documents());
    out.put("bytes", report.bytes());
    var damaged = out.putArray("damaged");
    for (DamagedRange r : report.damaged()) {
      damaged.add(JSON.valueToTree(r));
    }
    report.problems().forEach(out.putArray("problems")::add);
    report.notes().forEach(out.putArray("notes")::add);
    ctx.json(out);
  }
}
