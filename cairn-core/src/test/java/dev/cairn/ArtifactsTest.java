package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * What a Java team depends on: the BOM lists every published module at the build's version, and
 * carries the same licence and project metadata as the modules; the licence file is Apache-2.0.
 */
class ArtifactsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static Document pom(Path path) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory.newDocumentBuilder().parse(path.toFile());
  }

  /** The text of the project's direct child {@code name}, or of the path of children given. */
  private static String text(Document pom, String... path) {
    Element at = pom.getDocumentElement();
    for (String name : path) {
      at = child(at, name);
      if (at == null) {
        return null;
      }
    }
    return at.getTextContent().trim();
  }

  private static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        out.add(e);
      }
    }
    return out;
  }

  @Test
  void theBomListsEveryPublishedModuleAtTheBuildsVersion() throws Exception {
    Document parent = pom(ROOT.resolve("pom.xml"));
    Document bom = pom(ROOT.resolve("cairn-bom/pom.xml"));
    assertThat(text(bom, "version")).isEqualTo(text(parent, "version"));
    assertThat(text(bom, "groupId")).isEqualTo(text(parent, "groupId"));
    assertThat(child(bom.getDocumentElement(), "parent"))
        .as("a BOM with a parent would bring the build's own dependency versions along")
        .isNull();

    List<String> published = new ArrayList<>();
    for (Element module : children(child(parent.getDocumentElement(), "modules"), "module")) {
      String name = module.getTextContent().trim();
      Document pom = pom(ROOT.resolve(name).resolve("pom.xml"));
      boolean skipped =
          "true".equals(text(pom, "properties", "maven.deploy.skip")); // the benchmarks, say
      if (!name.equals("cairn-bom") && !skipped) {
        published.add(name);
      }
    }
    Element managed =
        child(child(bom.getDocumentElement(), "dependencyManagement"), "dependencies");
    List<String> listed = new ArrayList<>();
    for (Element dependency : children(managed, "dependency")) {
      assertThat(child(dependency, "groupId").getTextContent()).isEqualTo("dev.cairn");
      assertThat(child(dependency, "version").getTextContent()).isEqualTo("${project.version}");
      listed.add(child(dependency, "artifactId").getTextContent());
    }
    assertThat(listed).containsExactlyInAnyOrderElementsOf(published);
  }

  @Test
  void everyArtifactCarriesTheMetadataARepositoryRequires() throws Exception {
    Document parent = pom(ROOT.resolve("pom.xml"));
    Document bom = pom(ROOT.resolve("cairn-bom/pom.xml"));
    for (Document pom : List.of(parent, bom)) {
      assertThat(text(pom, "url")).startsWith("https://");
      assertThat(text(pom, "description")).isNotBlank();
      assertThat(text(pom, "licenses", "license", "name")).isEqualTo("Apache-2.0");
      assertThat(text(pom, "developers", "developer", "name")).isNotBlank();
      assertThat(text(pom, "scm", "url")).startsWith("https://");
    }
    for (String[] path :
        List.of(
            new String[] {"url"},
            new String[] {"licenses", "license", "url"},
            new String[] {"scm", "connection"},
            new String[] {"scm", "url"})) {
      assertThat(text(bom, path)).isEqualTo(text(parent, path));
    }
    String licence = Files.readString(ROOT.resolve("LICENSE"));
    assertThat(licence).contains("Apache License").contains("Version 2.0, January 2004");
  }
}
