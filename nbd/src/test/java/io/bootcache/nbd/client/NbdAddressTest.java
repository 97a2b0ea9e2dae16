package io.bootcache.nbd.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** NBD URIs as nbdkit, qemu and libnbd write them, and what is wrong with the others. */
class NbdAddressTest {
  @Test
  void tcpAndUnixSocketUrisParse() {
    NbdAddress tcp = NbdAddress.parse("nbd://127.0.0.1:10810/boot");
    assertEquals("127.0.0.1", tcp.host());
    assertEquals(10810, tcp.port());
    assertEquals("boot", tcp.export());
    assertNull(tcp.socket());
    assertEquals(tcp, NbdAddress.parse(tcp.toString()));

    NbdAddress defaults = NbdAddress.parse("nbd://localhost");
    assertEquals(NbdAddress.DEFAULT_PORT, defaults.port());
    assertEquals("", defaults.export());

    NbdAddress unix = NbdAddress.parse("nbd+unix:///my%20disk?socket=/tmp/a%20b.sock");
    assertEquals(Path.of("/tmp/a b.sock"), unix.socket());
    assertEquals("my disk", unix.export());
    assertNull(unix.host());
  }

  @Test
  void otherUrisAreRefusedWithWhatWasExpected() {
    assertMessage("http://host/x", "nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH");
    assertMessage("nbds://host/x", "TLS is not supported");
    assertMessage("nbd:///x", "no host");
    assertMessage("nbd+unix:///x", "no socket");
    assertMessage("nbd+unix:///x?other=1", "no socket");
    assertMessage("nbd://host:99999/x", "port must be 1..65535");
    assertMessage("nbd://ho st/x", "not an NBD URI");
  }

  private static void assertMessage(String uri, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NbdAddress.parse(uri));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
