package io.bootcache.node.nbd;

import io.bootcache.nbd.ExportCatalog;
import io.bootcache.nbd.NbdExport;
import io.bootcache.node.access.Access;
import io.bootcache.node.access.Principal;
import io.bootcache.node.access.Role;
import io.bootcache.node.catalog.TargetKind;
import java.util.List;
import java.util.Optional;

/**
 * The node's exports that one NBD client may see and open: those its principal may boot (each
 * connection is a boot, and a full clone's writes are recorded into its disk). Any other is neither
 * listed nor found, as if it did not exist.
 */
public final class GrantedExports implements ExportCatalog {
  private final NodeExports exports;
  private final Access access;
  private final Principal principal;

  public GrantedExports(NodeExports exports, Access access, Principal principal) {
    this.exports = exports;
    this.access = access;
    this.principal = principal;
  }

  @Override
  public List<NbdExport> list() {
    return exports.list().stream().filter(this::granted).toList();
  }

  @Override
  public Optional<NbdExport> find(String name) {
    return exports.find(name).filter(this::granted);
  }

  private boolean granted(NbdExport export) {
    TargetExport target = (TargetExport) export;
    return target.disk() == null
        ? access.allows(principal, Role.HOST, TargetKind.IMAGE, target.image().getId())
        : access.allows(principal, Role.HOST, TargetKind.DISK, target.disk().getId());
  }
}
