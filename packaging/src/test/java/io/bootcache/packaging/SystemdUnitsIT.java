package io.bootcache.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged systemd units: `systemd-analyze verify` in a root holding the package's files and
 * this host's standard units (so that ExecStart= paths and the targets resolve), and the settings
 * the units promise.
 */
class SystemdUnitsIT {
  static final String UNITS = "/lib/systemd/system/";
  static final List<String> OURS = List.of("bootcache-node.service", "bootcache-nbd.socket", "bootcache-nbd.service");

  @TempDir
  static Path root;

  @BeforeAll
  static void installIntoRoot() {
    Commands.run("dpkg-deb", "--extract", DebPackageIT.DEB, root.toString()).ok();
    Commands.run("cp", "--recursive", "--no-clobber", UNITS + ".", root + UNITS).ok();
  }

  /** What systemd-analyze verify says of these units: nothing when they are right (it warns with exit 0). */
  static String verify(List<String> units) {
    Commands.require("systemd-analyze");
    List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify", "--root=" + root));
    units.forEach(u -> command.add(UNITS + u));
    Commands.Result r = Commands.run(Map.of(), command);
    return r.exit() == 0 ? r.out() + r.err() : "exit " + r.exit() + ": " + r.out() + r.err();
  }

  @Test
  void theUnitsPassSystemdAnalyzeVerify() {
    assertEquals("", verify(OURS));
  }

  @Test
  void verifyWouldCatchAMistake() throws IOException {
    Path broken = root.resolve("lib/systemd/system/bootcache-broken.service");
    Files.writeString(broken, Files.readString(root.resolve("lib/systemd/system/bootcache-node.service"))
        .replace("ProtectSystem=strict", "ProtectSystm=strict"));
    try {
      assertTrue(verify(List.of("bootcache-broken.service")).contains("Unknown key 'ProtectSystm'"));
    } finally {
      Files.delete(broken);
    }
  }

  @Test
  void theNodeRunsHardenedAsItsOwnUser() throws IOException {
    Map<String, List<String>> node = settings("bootcache-node.service");
    assertEquals(List.of("/usr/bin/bootcache-node --config /etc/bootcache/node.properties --data-dir /var/lib/bootcache"),
        node.get("ExecStart"));
    assertEquals(List.of("bootcache"), node.get("User"));
    assertEquals(List.of("on-failure"), node.get("Restart"));
    assertEquals(List.of("strict"), node.get("ProtectSystem"));
    // the disk root of node.properties: the node's NBD server writes full clones there
    assertEquals(List.of("/var/lib/bootcache /var/cache/bootcache -/srv/disks"), node.get("ReadWritePaths"));
    assertEquals(List.of("yes"), node.get("NoNewPrivileges"));
    assertEquals(List.of("yes"), node.get("PrivateTmp"));
    assertEquals(List.of("read-only"), node.get("ProtectHome"));
    assertEquals(List.of("65536"), node.get("LimitNOFILE"));
    assertFalse(node.containsKey("MemoryDenyWriteExecute"), "the JIT needs writable code pages");
  }

  @Test
  void theNbdServerIsSocketActivatedOnAUnixSocket() throws IOException {
    Map<String, List<String>> socket = settings("bootcache-nbd.socket");
    assertEquals(List.of("/run/bootcache/nbd.sock"), socket.get("ListenStream"));
    assertEquals(List.of("0660"), socket.get("SocketMode"));
    Map<String, List<String>> service = settings("bootcache-nbd.service");
    assertTrue(service.get("ExecStart").get(0).startsWith("/usr/bin/bootcache nbd --listen-inherited"), service.toString());
    assertTrue(service.get("ExecStart").get(0).contains("--journal /var/lib/bootcache-nbd/"), "the stale journal must survive a cache wipe");
    assertEquals(List.of("bootcache-nbd"), service.get("StateDirectory"));
    assertEquals(List.of("socket"), service.get("StandardInput"));
    assertEquals(List.of("journal"), service.get("StandardOutput"), "stdout must not be the listening socket");
  }

  /** A unit's settings, key to values in order; comments and section headers left out. */
  private static Map<String, List<String>> settings(String unit) throws IOException {
    Map<String, List<String>> settings = new LinkedHashMap<>();
    for (String line : Files.readAllLines(root.resolve("lib/systemd/system").resolve(unit))) {
      int eq = line.indexOf('=');
      if (line.startsWith("#") || line.startsWith("[") || eq < 0) continue;
      settings.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
    }
    return settings;
  }
}
