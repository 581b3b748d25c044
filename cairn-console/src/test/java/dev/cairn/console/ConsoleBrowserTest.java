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
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
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
    Object fits =
        ((JavascriptExecutor) browser)
            .executeScript("return document.documentElement.scrollWidth <= window.innerWidth + 1");
    assertThat(fits).as("no sideways scrolling on a phone").isEqualTo(true);
    screenshot("phone");
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
