package io.bootcache.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .deb that `mvn package` built: what it holds, what it says, and installing it into a throwaway root. */
class DebPackageIT {
  static final String DEB = System.getProperty("bootcache.deb");

  @Test
  void holdsTheJarsLaunchersConfigurationUnitsAndUser() {
    List<String> contents = Commands.run("dpkg-deb", "--contents", DEB).ok().out().lines().toList();
    for (String file : List.of("/usr/share/bootcache/bootcache-node.jar", "/usr/share/bootcache/bootcache.jar",
        "/etc/bootcache/node.properties", "/etc/default/bootcache-nbd", "/lib/systemd/system/bootcache-node.service",
        "/lib/systemd/system/bootcache-nbd.socket", "/lib/systemd/system/bootcache-nbd.service",
        "/usr/lib/sysusers.d/bootcache.conf")) {
      assertTrue(contents.stream().anyMatch(l -> l.startsWith("-rw-r--r-- root/root") && l.endsWith(" ." + file)), file + " in\n" + contents);
    }
    for (String launcher : List.of("/usr/bin/bootcache-node", "/usr/bin/bootcache")) {
      assertTrue(contents.stream().anyMatch(l -> l.startsWith("-rwxr-xr-x root/root") && l.endsWith(" ." + launcher)), launcher);
    }
  }

  @Test
  void controlNamesThePackageItsJavaAndItsConffiles() {
    String control = Commands.run("dpkg-deb", "--field", DEB, "Package", "Architecture", "Depends").ok().out();
    assertTrue(control.contains("Package: bootcache\n"), control);
    assertTrue(control.contains("Architecture: all\n"), control);
    assertTrue(control.contains("Depends: openjdk-17-jre-headless | java17-runtime-headless, systemd\n"), control);
    assertEquals("/etc/bootcache/node.properties\n/etc/default/bootcache-nbd\n",
        Commands.run("dpkg-deb", "--info", DEB, "conffiles").ok().out());
    assertTrue(Commands.run("dpkg-deb", "--info", DEB, "postinst").ok().out().contains("systemd-sysusers"));
  }

  @Test
  void thePackagedLaunchersRunThePackagedJarsWithJavaOpts(@TempDir Path root) {
    Commands.run("dpkg-deb", "--extract", DEB, root.toString()).ok();
    Map<String, String> packaged = Map.of("BOOTCACHE_HOME", root.resolve("usr/share/bootcache").toString());
    String node = Commands.run(packaged, List.of(root.resolve("usr/bin/bootcache-node").toString(), "--help")).ok().out();
    assertTrue(node.contains("Usage: bootcache-node") && node.contains("--grpc-port"), node);
    String cli = Commands.run(packaged, List.of(root.resolve("usr/bin/bootcache").toString(), "--help")).ok().out();
    assertTrue(cli.contains("Usage: bootcache") && cli.contains("nbd"), cli);

    // JAVA_OPTS reaches the JVM: -version makes it print its version instead of running the jar
    Map<String, String> versionOnly = Map.of("BOOTCACHE_HOME", packaged.get("BOOTCACHE_HOME"), "JAVA_OPTS", "-version");
    Commands.Result version = Commands.run(versionOnly, List.of(root.resolve("usr/bin/bootcache-node").toString(), "--help")).ok();
    assertTrue(version.err().contains("version \"17") && !version.out().contains("Usage"), version.err());
  }

  @Test
  void installsThenUpgradesKeepingConfigurationAndStateThenPurges(@TempDir Path dir) throws IOException {
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.createDirectories(root.resolve("var/lib/dpkg/info"));
    Files.createDirectories(root.resolve("var/lib/dpkg/updates"));
    Files.createFile(root.resolve("var/lib/dpkg/status"));

    dpkg(root, "--install", DEB);
    assertTrue(Files.readString(root.resolve("etc/passwd")).contains("bootcache:x:"), "postinst made the user inside the root");
    String status = Commands.run("dpkg", "--root=" + root, "--status", "bootcache").ok().out();
    assertTrue(status.contains("Status: install ok installed") && status.contains(" /etc/bootcache/node.properties "), status);

    Path properties = root.resolve("etc/bootcache/node.properties");
    Files.writeString(properties, "grpc-port=7500\n", StandardOpenOption.APPEND);
    Path profile = Files.writeString(Files.createDirectories(root.resolve("var/lib/bootcache/profiles")).resolve("debian12.pb"), "a profile");

    String newer = newerVersionOf(DEB, dir);
    // no prompt: the package's node.properties did not change, so dpkg keeps the edited one as it is
    dpkg(root, "--install", newer);
    assertTrue(Commands.run("dpkg", "--root=" + root, "--status", "bootcache").ok().out().contains("+upgrade\n"));
    assertTrue(Files.readString(properties).endsWith("grpc-port=7500\n"), "the upgrade kept the edited configuration");
    assertEquals("a profile", Files.readString(profile), "the upgrade kept the node's state");

    dpkg(root, "--purge", "bootcache");
    assertFalse(Files.exists(properties));
    assertFalse(Files.exists(root.resolve("var/lib/bootcache")));
    assertFalse(Files.exists(root.resolve("usr/share/bootcache/bootcache-node.jar")));
  }

  /**
   * dpkg in another root, maintainer scripts included: they run on this host with DPKG_ROOT set, which
   * the scripts honour. Java and systemd are not in that root's database, hence --force-depends.
   */
  private static void dpkg(Path root, String... args) {
    List<String> command = new ArrayList<>(List.of("dpkg", "--root=" + root, "--force-script-chrootless",
        "--force-depends"));
    command.addAll(List.of(args));
    Commands.run(Map.of(), command).ok();
  }

  /** The same package with a higher version, as the next release would be. */
  private static String newerVersionOf(String deb, Path dir) throws IOException {
    Path tree = dir.resolve("repack");
    Commands.run("dpkg-deb", "--raw-extract", deb, tree.toString()).ok();
    Path control = tree.resolve("DEBIAN/control");
    Files.writeString(control, Files.readString(control).replaceFirst("(?m)^Version: (.*)$", "Version: $1+upgrade"));
    Path newer = dir.resolve("newer.deb");
    // gzip at its fastest: the default xz of ~100 MiB of jars takes minutes on a busy two-core machine
    Commands.run("dpkg-deb", "-Zgzip", "-z1", "--build", tree.toString(), newer.toString()).ok();
    return newer.toString();
  }
}
