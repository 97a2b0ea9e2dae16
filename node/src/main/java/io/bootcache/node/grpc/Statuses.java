package io.bootcache.node.grpc;

import io.bootcache.node.ApiError;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns whatever went wrong into a gRPC status with a message that says what. */
public final class Statuses {
  private Statuses() {}

  public static StatusException of(Throwable t) {
    ApiError api = apiError(t);
    if (api != null) return new StatusException(api.status(), api.getMessage());
    Throwable root = unwrap(t);
    if (root instanceof StatusException s) return s;
    if (root instanceof IllegalStateException && root.getMessage() != null
        && root.getMessage().contains("stopping")) {
      return new StatusException(GrpcStatus.UNAVAILABLE, "the node is stopping");
    }
    return new StatusException(GrpcStatus.INTERNAL, "internal error: " + root);
  }

  /** The ApiError anywhere in the cause chain (Ignite wraps a remote job's exception). */
  public static ApiError apiError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ApiError a) return a;
      if (c.getCause() == c) break;
    }
    return null;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) c = c.getCause();
    return c;
  }
}
