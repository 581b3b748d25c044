package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java example, compiled and run as it stands there, and its coordinates. */
class ReadmeExampleTest {
  @TempDir Path dir;

  private static String readme() throws IOException {
    return Files.readString(Path.of("../README.md"));
  }

  /** The text of the first fenced block of {@code language} in the README. */
  private static String block(String readme, String language) {
    int start = readme.indexOf("```" + language + "\n") + language.length() + 4;
    return readme.substring(start, readme.indexOf("```", start));
  }

  @Test
  void theReadmesJavaExampleCompilesAndRunsAsItStands() throws Exception {
    Path source = Files.writeString(dir.resolve("Hello.java"), block(readme(), "java"));
    String classPath = System.getProperty("java.class.path");
    int compiled =
        ToolProvider.getSystemJavaCompiler()
            .run(null, null, null, "-cp", classPath, "-d", dir.toString(), source.toString());
    assertThat(compiled).as("javac's exit code").isZero();

    Process run =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                dir + java.io.File.pathSeparator + classPath,
                "Hello")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(run.waitFor(2, TimeUnit.MINUTES)).isTrue();

    assertThat(run.exitValue()).as(out).isZero();
    assertThat(out).contains("refused: document 'hello' is at rev 2-");
    assertThat(out).contains("\"secret\":\"Cats are little people!\"");
    assertThat(out).doesNotContain("\"secret\":\"Dogs");
    assertThat(dir.resolve("hello-store")).isDirectory(); // where the README says
  }

  @Test
  void theReadmesCoordinatesAreThisBuilds() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    String parent = Files.readString(Path.of("../pom.xml"));
    String version =
        parent.replaceFirst(
            "(?s).*?<artifactId>cairn-parent</artifactId>\\s*<version>([^<]+)</version>.*", "$1");

    // Maven: the BOM at this build's version, imported, and cairn-core without a version
    assertThat(block(readme(), "xml"))
        .isEqualTo(
            String.join(
                "\n",
                "<dependencyManagement>",
                "  <dependencies>",
                "    <dependency>",
                "      <groupId>dev.cairn</groupId>",
                "      <artifactId>cairn-bom</artifactId>",
                "      <version>" + version + "</version>",
                "      <type>pom</type>",
                "      <scope>import</scope>",
                "    </dependency>",
                "  </dependencies>",
                "</dependencyManagement>",
                "<dependencies>",
                "  <dependency>",
                "    <groupId>dev.cairn</groupId>",
                "    <artifactId>cairn-core</artifactId>",
                "  </dependency>",
                "</dependencies>",
                ""));
    assertThat(block(readme(), "kotlin"))
        .contains("implementation(platform(\"dev.cairn:cairn-bom:" + version + "\"))")
        .contains("implementation(\"dev.cairn:cairn-core\")");
    // every module the README names for a backend is one this build makes
    for (String module : java.util.List.of("cairn-redis", "cairn-jdbc", "cairn-http")) {
      assertThat(readme()).contains("`" + module + "`");
      assertThat(parent).contains("<module>" + module + "</module>");
    }
    assertThat(pom).contains("<artifactId>cairn-core</artifactId>");
  }
}
