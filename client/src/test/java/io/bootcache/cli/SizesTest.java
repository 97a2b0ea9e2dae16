package io.bootcache.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SizesTest {
  @Test
  void parsesByteCounts() {
    assertEquals(4096, Sizes.parse("4096"));
    assertEquals(4096, Sizes.parse("4k"));
    assertEquals(4096, Sizes.parse("4KiB"));
    assertEquals(3L << 20, Sizes.parse("3M"));
    assertEquals(2L << 30, Sizes.parse("2 GiB"));
    assertEquals(512, Sizes.parse("512b"));
    assertThrows(CommandLine.TypeConversionException.class, () -> Sizes.parse("lots"));
    assertThrows(CommandLine.TypeConversionException.class, () -> Sizes.parse("9999999999999G"));
  }

  @Test
  void printsSizesForPeople() {
    assertEquals("512 B", Sizes.human(512));
    assertEquals("4.0 KiB", Sizes.human(4096));
    assertEquals("1.5 MiB", Sizes.human(3 << 19));
    assertEquals("1.0 GiB", Sizes.human(1L << 30));
  }

  @Test
  void tablesAlignTheirColumns() {
    StringWriter out = new StringWriter();
    new Table("ID", "SIZE", "PATH").right(1).row("a", "4.0 KiB", "/x").row("longer-id", "1.0 GiB", "/y/z").print(new PrintWriter(out));
    assertEquals(String.join(System.lineSeparator(),
        "ID            SIZE  PATH",
        "a          4.0 KiB  /x",
        "longer-id  1.0 GiB  /y/z", ""), out.toString());
  }
}
