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
    ApiError api = ApiError.in(t);
    if (api != null) return new StatusException(api.status(), api.getMessage());
    Throwable root = unwrap(t);
    if (root instanceof StatusException s) return s;
    if (root instanceof IllegalStateException && root.getMessage() != null
        && root.getMessage().contains("stopping")) {
      return new StatusException(GrpcStatus.UNAVAILABLE, "the node is stopping");
    }
    return new StatusException(GrpcStatus.INTERNAL, "internal error: " + root);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) c = c.getCause();
    return c;
  }
}
