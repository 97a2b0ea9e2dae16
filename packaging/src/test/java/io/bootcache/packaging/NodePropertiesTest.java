package io.bootcache.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** /etc/bootcache/node.properties names every option of the node, and nothing else, with values it accepts. */
class NodePropertiesTest {
  static final Path FILE = Path.of("src/deb/etc/node.properties");
  static final Pattern SETTING = Pattern.compile("#?([a-z][a-z0-9-]*)=(.*)");
  /** Options that make no sense in the file: the file itself, and the standard help options. */
  static final Set<String> NOT_IN_FILE = Set.of("config", "help", "version");

  @Test
  void keysAreExactlyTheNodesOptions() throws IOException {
    Set<String> options = new TreeSet<>();
    for (OptionSpec o : new CommandLine(new Main()).getCommandSpec().options()) {
      options.add(o.longestName().replaceFirst("^--", ""));
    }
    options.removeAll(NOT_IN_FILE);
    Set<String> keys = new TreeSet<>();
    for (String[] setting : settings()) keys.add(setting[0]);
    assertEquals(options, keys);
  }

  @Test
  void everyExampleValueParses() throws IOException {
    List<String> args = new ArrayList<>();
    for (String[] setting : settings()) args.add("--" + setting[0] + "=" + setting[1]);
    CommandLine cl = new CommandLine(new Main());
    cl.parseArgs(args.toArray(String[]::new));
    assertTrue(cl.getParseResult().unmatched().isEmpty());
  }

  /** The file's settings, commented out or not: {key, value}. */
  private static List<String[]> settings() throws IOException {
    List<String[]> settings = new ArrayList<>();
    for (String line : Files.readAllLines(FILE)) {
      Matcher m = SETTING.matcher(line.trim());
      if (m.matches()) settings.add(new String[] {m.group(1), m.group(2)});
    }
    return settings;
  }
}
