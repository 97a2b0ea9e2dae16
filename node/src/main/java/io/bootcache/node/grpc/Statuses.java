package io.bootcache.node.grpc;

import io.bootcache.node.ApiError;
import io.bootcache.node.ClusterNotReady;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Turns whatever went wrong into a gRPC status with a message that says what. */
public final class Statuses {
  private static final Logger LOG = Logger.getLogger(Statuses.class.getName());

  private Statuses() {}

  public static StatusException of(Throwable t) {
    ApiError api = ApiError.in(t);
    if (api == null) api = ClusterNotReady.in(t); // Ignite's "not now": the caller retries elsewhere
    if (api != null) return new StatusException(status(api.kind()), api.getMessage());
    Throwable root = unwrap(t);
    if (root instanceof StatusException s) return s;
    if (root instanceof IllegalStateException && root.getMessage() != null
        && root.getMessage().contains("stopping")) {
      return new StatusException(GrpcStatus.UNAVAILABLE, "the node is stopping");
    }
    // a bug or an unforeseen failure: the caller sees one line, the node's log the whole trace
    LOG.log(Level.WARNING, "answering INTERNAL", t);
    return new StatusException(GrpcStatus.INTERNAL, "internal error: " + root);
  }

  static GrpcStatus status(ApiError.Kind kind) {
    return switch (kind) {
      case INVALID -> GrpcStatus.INVALID_ARGUMENT;
      case NOT_FOUND -> GrpcStatus.NOT_FOUND;
      case OUT_OF_RANGE -> GrpcStatus.OUT_OF_RANGE;
      case ALREADY_EXISTS -> GrpcStatus.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> GrpcStatus.FAILED_PRECONDITION;
      case PERMISSION_DENIED -> GrpcStatus.PERMISSION_DENIED;
      case UNAVAILABLE -> GrpcStatus.UNAVAILABLE;
      case EXHAUSTED -> GrpcStatus.RESOURCE_EXHAUSTED;
    };
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) c = c.getCause();
    return c;
  }
}
