package dev.cairn.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.WriteMode;
import dev.cairn.testkit.Jvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console's page in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, which {@code .ci/run} installs): open a document, see another process's write
 * arrive without reloading, resolve a conflict, and fit a phone's screen. Screenshots go to {@code
 * target/screenshots} (docs/console.md shows them).
 */
class ConsoleBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir Path dir;
  private DocumentStore store;
  private Console console;
  private WebDriver browser;

  @BeforeEach
  void start() {
    store = Cairn.open(dir.resolve("store"));
    console = new Console(store, "127.0.0.1", 0);
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900");
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .build(),
            options);
  }

  @AfterEach
  void stop() {
    browser.quit();
    console.close();
    store.close();
  }

  /** A screenshot with {@code focus} scrolled to the middle of the window. */
  private void screenshot(String name, By focus) throws Exception {
    ((JavascriptExecutor) browser)
        .executeScript(
            "arguments[0].scrollIntoView({block: 'center'})", browser.findElement(focus));
    screenshot(name);
  }

  private void screenshot(String name) throws Exception {
    Path out = Path.of("target", "screenshots", name + ".png");
    Files.createDirectories(out.getParent());
    Files.write(out, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void aUserOpensADocumentSeesAnotherProcessWriteAndResolvesAConflict() throws Exception {
    store.create("alpha", Map.of("colour", "red"));
    String base = store.create("beta", Map.of("size", 1));
    store.update("beta", base, Map.of("size", 2));
    ObjectNode stale = store.get("beta", base).orElseThrow();
    stale.put("size", 3);
    store.update(stale, WriteMode.KEEP_BOTH);
    String loser = store.conflicts("beta").get(0);

    browser.get("http://127.0.0.1:" + console.port() + "/#token=" + console.token());
    WebDriverWait wait = new WebDriverWait(browser, WAIT);
    wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("#ids li[data-id=alpha]")))
        .click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("doc-json"), "red"));
    assertThat(browser.findElement(By.id("store-info")).getText()).contains("2 documents");
    screenshot("document");

    // another process writes: the page shows it without being reloaded
    try (Jvm writer = Jvm.start(Writer.class, dir.resolve("store").toString())) {
      writer.await(line -> line.equals("written"), WAIT);
    }
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector("#changes li[data-id=gamma]")));
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector("#ids li[data-id=gamma]")));

    browser.findElement(By.cssSelector("#ids li[data-id=beta]")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("conflict-box")));
    screenshot("conflict");
    wait.until(
            ExpectedConditions.elementToBeClickable(
                By.cssSelector("#conflicts button.keep[data-rev='" + loser + "']")))
        .click();
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("conflict-box")));
    assertThat(store.conflicts("beta")).isEmpty();
    assertThat(store.get("beta").orElseThrow().get("_rev").asText()).isEqualTo(loser);

    browser.manage().window().setSize(new Dimension(390, 844)); // a phone
    screenshot("phone");
    for (String tab : new String[] {"shared", "channels", "store", "documents"}) {
      browser.findElement(By.cssSelector("#tabs button[data-tab=" + tab + "]")).click();
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id(tab)));
      Object fits =
          ((JavascriptExecutor) browser)
              .executeScript(
                  "return document.documentElement.scrollWidth <= window.innerWidth + 1");
      assertThat(fits).as("no sideways scrolling on a phone, tab " + tab).isEqualTo(true);
    }
  }

  @Test
  void aUserComparesRevisionsWritesAMergeAndPatchesASharedObjectAnotherProcessPatchesToo()
      throws Exception {
    String base = store.create("order", Map.of("item", "tea", "qty", 1));
    String mine = store.update("order", base, Map.of("item", "tea", "qty", 2));
    ObjectNode stale = store.get("order", base).orElseThrow();
    stale.put("note", "gift");
    String theirs = store.update(stale, WriteMode.KEEP_BOTH);
    store.share("counter", Map.of("n", 0)).close();
    try (dev.cairn.oplog.OplogClient client =
        dev.cairn.oplog.OplogClient.builder()
            .channel("team", dir.resolve("store").toString())
            .pruneAfter(0)
            .open()) {
      client.push("team", "counter", "visits", 3);
      client.push("team", "counter", "visits", 4);
    }

    browser.get("http://127.0.0.1:" + console.port() + "/#token=" + console.token());
    WebDriverWait wait = new WebDriverWait(browser, WAIT);
    wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("#ids li[data-id=order]")))
        .click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("conflict-box")));

    // compare the two live revisions: the page lists what differs, path by path
    new Select(browser.findElement(By.id("diff-from"))).selectByValue(mine);
    new Select(browser.findElement(By.id("diff-to"))).selectByValue(theirs);
    browser.findElement(By.id("diff-run")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#diff li.added")));
    assertThat(browser.findElement(By.cssSelector("#diff li.added")).getText())
        .isEqualTo("+ note: \"gift\"");
    assertThat(browser.findElement(By.cssSelector("#diff li.changed")).getText())
        .isEqualTo("~ qty: 2 → 1");
    screenshot("diff", By.id("compare"));

    // write a merge of both: qty from one, the note from the other
    browser.findElement(By.id("merge-start")).click();
    WebElement merge = browser.findElement(By.id("merge-json"));
    merge.clear();
    merge.sendKeys(
        "{\"_rev\": \"" + theirs + "\", \"item\": \"tea\", \"qty\": 2, \"note\": \"gift\"}");
    screenshot("merge", By.id("merge-box"));
    browser.findElement(By.id("merge-save")).click();
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("conflict-box")));
    ObjectNode merged = store.get("order").orElseThrow();
    assertThat(store.conflicts("order")).isEmpty();
    assertThat(merged.get("qty").asInt()).isEqualTo(2);
    assertThat(merged.get("note").asText()).isEqualTo("gift");
    assertThat(merged.get("_rev").asText()).startsWith("3-");

    // a shared object: patched from the page, then by another process, live on the page
    browser.findElement(By.cssSelector("#tabs button[data-tab=shared]")).click();
    wait.until(
            ExpectedConditions.elementToBeClickable(
                By.cssSelector("#shared-names li[data-name=counter]")))
        .click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("shared-state"), "0"));
    WebElement patch = browser.findElement(By.id("patch-json"));
    patch.clear();
    patch.sendKeys("{\"$inc\": {\"n\": 5}}");
    browser.findElement(By.id("patch-apply")).click();
    wait.until(
        ExpectedConditions.textToBePresentInElementLocated(By.id("patch-result"), "applied"));
    assertThat(sharedValue()).isEqualTo(5);
    try (Jvm patcher = Jvm.start(Patcher.class, dir.resolve("store").toString())) {
      patcher.await(line -> line.equals("patched"), WAIT);
    }
    wait.until(d -> sharedValue() == 105);
    screenshot("shared");
    try (dev.cairn.SharedObject counter = store.share("counter")) {
      assertThat(counter.get("n").asInt()).isEqualTo(105);
    }

    // the channel's log: its value and operations
    browser.findElement(By.cssSelector("#tabs button[data-tab=channels]")).click();
    wait.until(
            ExpectedConditions.elementToBeClickable(
                By.cssSelector("#channel-names li[data-name=team]")))
        .click();
    wait.until(
            ExpectedConditions.elementToBeClickable(
                By.cssSelector("#logs tr[data-type=counter][data-path=visits]")))
        .click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("log-value"), "7"));
    assertThat(browser.findElements(By.cssSelector("#operations li"))).hasSize(2);
    screenshot("channel");

    // the store: measured, checked, compacted
    browser.findElement(By.cssSelector("#tabs button[data-tab=store]")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("usage"), "size on disk"));
    browser.findElement(By.id("check-run")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("check-result"), "Sound."));
    browser.findElement(By.id("compact-run")).click();
    wait.until(
        ExpectedConditions.textToBePresentInElementLocated(By.id("compact-result"), "dropped"));
    screenshot("store");
    assertThat(browser.findElement(By.id("error")).getText()).isEmpty();
  }

  @Test
  void aStoreOfChannelsOnlyShowsJustItsChannels() throws Exception {
    String location = dir.resolve("store").toString();
    try (dev.cairn.oplog.OplogClient client =
        dev.cairn.oplog.OplogClient.builder().channel("team", location).pruneAfter(0).open()) {
      client.push("team", "register", "motto", "hello");
    }
    try (dev.cairn.oplog.StoredChannels channels = dev.cairn.oplog.StoredChannels.open(location);
        Console channelsOnly = Console.ofChannels(channels, "127.0.0.1", 0)) {
      browser.get("http://127.0.0.1:" + channelsOnly.port() + "/#token=" + channelsOnly.token());
      WebDriverWait wait = new WebDriverWait(browser, WAIT);
      wait.until(
              ExpectedConditions.elementToBeClickable(
                  By.cssSelector("#channel-names li[data-name=team]")))
          .click();
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("logs"), "\"hello\""));
      assertThat(browser.findElement(By.id("store-info")).getText()).endsWith("channels only");
      assertThat(browser.findElement(By.id("documents")).isDisplayed()).isFalse();
      assertThat(
              browser.findElements(By.cssSelector("#tabs button")).stream()
                  .filter(WebElement::isDisplayed)
                  .map(WebElement::getText))
          .containsExactly("Channels");
      assertThat(browser.findElement(By.id("error")).getText()).isEmpty();
    }
  }

  private int sharedValue() {
    String text = browser.findElement(By.id("shared-state")).getText();
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text).get("n").asInt();
    } catch (Exception e) {
      return -1; // not drawn yet
    }
  }

  /** Another process: adds 100 to the shared object "counter". */
  public static final class Patcher {
    public static void main(String[] args) throws Exception {
      try (DocumentStore store = Cairn.open(args[0]);
          dev.cairn.SharedObject counter = store.share("counter")) {
        counter.patch("{\"$inc\": {\"n\": 100}}").get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
      System.out.println("patched");
    }
  }

  /** Another process: writes a document into the store's directory. */
  public static final class Writer {
    public static void main(String[] args) {
      try (DocumentStore store = Cairn.open(args[0])) {
        store.create("gamma", Map.of("from", "another process"));
      }
      System.out.println("written");
    }
  }
}
