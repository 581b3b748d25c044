package dev.cairn.document;

import dev.cairn.CheckReport;
import dev.cairn.engine.LogKind;
import dev.cairn.file.DirectoryCheck;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code check} of a store read through its backend, and what a check of any store asks of a
 * document's entries. A directory store is checked byte by byte by {@link DirectoryCheck}, with
 * {@link #DOCUMENTS}.
 */
public final class StoreCheck {
  private StoreCheck() {}

  /** Documents are the logs of kind {@link LogKind#DOCUMENT}; each entry a revision. */
  public static final DirectoryCheck.Contents DOCUMENTS =
      new DirectoryCheck.Contents() {
        @Override
        public boolean isDocument(String key) {
          return LogKind.DOCUMENT.holds(key);
        }

        @Override
        public String fault(String key, byte[] payload) {
          return RevisionEntry.fault(payload);
        }
      };

  /** Checks a store through its backend: every log read, every document's revisions checked. */
  public static CheckReport checkBackend(Backend backend) {
    long records = 0;
    long documents = 0;
    long bytes = 0;
    List<String> problems = new ArrayList<>();
    for (String key : new TreeSet<>(backend.keys())) {
      List<LogEntry> entries = backend.read(key, 0);
      records += entries.size();
      boolean document = DOCUMENTS.isDocument(key);
      documents += document ? 1 : 0;
      for (LogEntry e : entries) {
        bytes += e.payload().length;
        String fault = document ? RevisionEntry.fault(e.payload()) : null;
        if (fault != null) {
          problems.add("document '%s', entry %d: %s".formatted(key, e.seq(), fault));
        }
      }
    }
    return new CheckReport(
        backend.location(), records, documents, bytes, List.of(), problems, List.of());
  }
}
