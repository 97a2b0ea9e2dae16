package io.bootcache.node.access;

import io.bootcache.node.ApiError;
import io.bootcache.node.catalog.TargetKind;
import java.util.Locale;

/**
 * The one authorization decision of a node, the same for every edge: may this principal do what a
 * role may with this image or disk? The local principal (no TLS, a Unix socket) may do anything;
 * any other, only what the grants give it.
 */
public final class Access {
  private final Grants grants;

  public Access(Grants grants) {
    this.grants = grants;
  }

  /** Without TLS there is no principal but the local one. */
  public static Access localOnly() {
    return new Access(Grants.NONE);
  }

  public boolean allows(Principal who, Role role, TargetKind kind, String id) {
    if (who.local()) return true;
    for (Grant g : grants.of(who.name())) {
      if (g.allows(role, kind, id)) return true;
    }
    return false;
  }

  /** Allowed, or an ApiError of kind PERMISSION_DENIED that says who needs what. */
  public void require(Principal who, Role role, TargetKind kind, String id) {
    if (allows(who, role, kind, id)) return;
    String what = kind.name().toLowerCase(Locale.ROOT) + " " + id;
    throw ApiError.permissionDenied(who + " may not " + verb(role) + " " + what + ": that needs the "
        + role.word() + " role on it (see the node's grants file)");
  }

  /** True when the principal holds any grant at all (the admin endpoint's /metrics asks no more). */
  public boolean knows(Principal who) {
    return who.local() || !grants.of(who.name()).isEmpty();
  }

  /** Allowed when the principal holds any grant, else PERMISSION_DENIED. */
  public void requireKnown(Principal who) {
    if (!knows(who)) throw ApiError.permissionDenied(who + " holds no grant on this node (see the node's grants file)");
  }

  private static String verb(Role role) {
    return switch (role) {
      case READER -> "read";
      case HOST -> "boot or record into";
      case ADMIN -> "manage";
    };
  }
}
