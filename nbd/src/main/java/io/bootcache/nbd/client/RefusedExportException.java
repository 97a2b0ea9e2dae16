package io.bootcache.nbd.client;

import java.io.IOException;

/** The server is there and answered, but will not serve the export asked for (no such export, policy, TLS required). */
public final class RefusedExportException extends IOException {
  public RefusedExportException(String message) {
    super(message);
  }
}
