package io.bootcache.node.access;

import static io.bootcache.node.catalog.TargetKind.DISK;
import static io.bootcache.node.catalog.TargetKind.IMAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.ApiError;
import org.junit.jupiter.api.Test;

class AccessTest {
  private static final Access ACCESS = new Access(Grants.parse("""
      # who may do what
      ops = admin
      host-a = host: images=debian12,win11 disks=vm7,vm8
      host-a = reader: disks=shared
      audit = reader: images=*
      Build Farm = host
      prometheus = reader: images=
      """, "test"));

  private static Principal p(String name) {
    return Principal.named(name);
  }

  @Test
  void anAdminMayDoAnythingAnywhere() {
    assertTrue(ACCESS.allows(p("ops"), Role.ADMIN, IMAGE, "anything"));
    assertTrue(ACCESS.allows(p("ops"), Role.READER, DISK, "vm9"));
  }

  @Test
  void aHostBootsAndReadsWhatItIsGrantedAndManagesNothing() {
    Principal host = p("host-a");
    assertTrue(ACCESS.allows(host, Role.HOST, IMAGE, "debian12"));
    assertTrue(ACCESS.allows(host, Role.READER, DISK, "vm8"));
    assertFalse(ACCESS.allows(host, Role.HOST, DISK, "vm9"), "another tenant's disk");
    assertFalse(ACCESS.allows(host, Role.READER, IMAGE, "ubuntu"), "an image not granted");
    assertFalse(ACCESS.allows(host, Role.ADMIN, IMAGE, "debian12"), "a host does not register");
    assertTrue(ACCESS.allows(host, Role.READER, DISK, "shared"), "a second line adds up");
    assertFalse(ACCESS.allows(host, Role.HOST, DISK, "shared"), "but only as a reader");
  }

  @Test
  void aReaderOfEveryImageReadsNoDiskAndBootsNothing() {
    assertTrue(ACCESS.allows(p("audit"), Role.READER, IMAGE, "debian12"));
    assertFalse(ACCESS.allows(p("audit"), Role.READER, DISK, "vm7"), "disks= left out: none");
    assertFalse(ACCESS.allows(p("audit"), Role.HOST, IMAGE, "debian12"));
  }

  @Test
  void aGrantOfNothingNamesAPrincipalThatReadsNothing() {
    assertTrue(ACCESS.knows(p("prometheus")));
    assertFalse(ACCESS.allows(p("prometheus"), Role.READER, IMAGE, "debian12"));
  }

  @Test
  void aNameWithSpacesIsOnePrincipal() {
    assertTrue(ACCESS.allows(p("Build Farm"), Role.HOST, DISK, "any"));
  }

  @Test
  void aStrangerAndTheNamelessMayDoNothing() {
    for (Principal nobody : new Principal[] {p("stranger"), p("")}) {
      assertFalse(ACCESS.knows(nobody));
      ApiError e = assertThrows(ApiError.class, () -> ACCESS.require(nobody, Role.READER, IMAGE, "debian12"));
      assertEquals(ApiError.Kind.PERMISSION_DENIED, e.kind());
      assertThrows(ApiError.class, () -> ACCESS.requireKnown(nobody));
    }
  }

  @Test
  void theLocalPrincipalIsAdminWithOrWithoutGrants() {
    assertTrue(Access.localOnly().allows(Principal.LOCAL, Role.ADMIN, DISK, "vm7"));
    assertTrue(ACCESS.allows(Principal.LOCAL, Role.ADMIN, IMAGE, "x"));
    assertFalse(Access.localOnly().allows(p("local"), Role.READER, IMAGE, "x"), "a certificate named local is not local");
  }

  @Test
  void theRefusalSaysWhoNeedsWhat() {
    ApiError e = assertThrows(ApiError.class, () -> ACCESS.require(p("host-a"), Role.HOST, DISK, "vm9"));
    assertEquals("principal 'host-a' may not boot or record into disk vm9: that needs the host role on it "
        + "(see the node's grants file)", e.getMessage());
  }

  @Test
  void badLinesAreNamed() {
    for (String bad : new String[] {"host-a", "= admin", "x = root", "x = host: imgs=a", "x = host: images=a,,b",
        "x = host: images=a images=b"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grants.parse("\n" + bad, "g"));
      assertTrue(e.getMessage().startsWith("g line 2: "), e.getMessage());
    }
  }
}
