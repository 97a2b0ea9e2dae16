package io.bootcache.node.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataFilesTest {
  @TempDir
  Path dir;

  static Image image(String id, long size) {
    return Image.newBuilder().setId(id).setLocation("/images/" + id + ".raw").setSize(size).setBlockSize(4096).build();
  }

  @Test
  void recordsReadBackAndReplaceWhole() throws Exception {
    MetadataFiles files = new MetadataFiles(dir);
    files.save("images", "a", image("a", 1));
    files.save("images", "b", image("b", 2));
    files.save("images", "a", image("a", 3));
    List<Image> back = files.loadAll("images", Image.parser());
    assertEquals(List.of(image("a", 3), image("b", 2)), back);
    files.delete("images", "b");
    assertEquals(List.of(image("a", 3)), files.loadAll("images", Image.parser()));
    try (var leftovers = Files.list(dir.resolve("metadata/images"))) {
      assertTrue(leftovers.noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary file stays");
    }
  }

  @Test
  void aCorruptFileIsSetAsideAndTheOthersStillLoad() throws Exception {
    MetadataFiles files = new MetadataFiles(dir);
    files.save("images", "good", image("good", 1));
    files.save("images", "flipped", image("flipped", 2));
    files.save("images", "torn", image("torn", 3));
    Path folder = dir.resolve("metadata/images");
    byte[] flipped = Files.readAllBytes(folder.resolve("flipped.pb"));
    flipped[flipped.length - 1] ^= 1; // bit rot in the content: the CRC catches it
    Files.write(folder.resolve("flipped.pb"), flipped);
    byte[] torn = Files.readAllBytes(folder.resolve("torn.pb"));
    Files.write(folder.resolve("torn.pb"), Arrays.copyOf(torn, torn.length - 5)); // a torn write
    Files.writeString(folder.resolve("stray.pb"), "not a record at all");

    assertEquals(List.of(image("good", 1)), files.loadAll("images", Image.parser()));
    for (String name : List.of("flipped", "torn", "stray")) {
      assertTrue(Files.exists(folder.resolve(name + ".pb.corrupt")), name + " is set aside for an operator");
      assertTrue(Files.notExists(folder.resolve(name + ".pb")));
    }
    assertEquals(List.of(image("good", 1)), files.loadAll("images", Image.parser()), "and stays aside");
  }
}
