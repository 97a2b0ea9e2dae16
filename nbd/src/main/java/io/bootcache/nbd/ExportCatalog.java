package io.bootcache.nbd;

import java.util.List;
import java.util.Optional;

/**
 * The exports an NBD server offers (to one client, when the server asks for a catalog per client).
 * Asked off the network threads: a look-up may block briefly.
 */
public interface ExportCatalog {

  /** All exports, for NBD_OPT_LIST. */
  List<NbdExport> list();

  /** The export of that name, if there is one. */
  Optional<NbdExport> find(String name);

  /** A fixed set of exports. */
  static ExportCatalog of(List<? extends NbdExport> exports) {
    List<NbdExport> copy = List.copyOf(exports);
    return new ExportCatalog() {
      @Override
      public List<NbdExport> list() {
        return copy;
      }

      @Override
      public Optional<NbdExport> find(String name) {
        return copy.stream().filter(e -> e.name().equals(name)).findFirst();
      }
    };
  }
}
