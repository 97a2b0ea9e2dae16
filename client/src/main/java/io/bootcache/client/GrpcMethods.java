package io.bootcache.client;

import com.google.protobuf.CodedInputStream;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.common.WireFormat;

/** The service methods the client calls, with a FetchStream decoder that does not copy block bytes twice. */
final class GrpcMethods {
  private GrpcMethods() {}

  /**
   * Like the generated FetchStream method, but the response's {@code data} aliases the received bytes
   * (the stock decoder copies the message, then copies each bytes field again).
   */
  static final ServiceMethod<FetchResponse, FetchRequest> FETCH_STREAM = ServiceMethod.client(
      ServiceName.create("bootcache.v1", "BootCache"), "FetchStream",
      GrpcMessageEncoder.encoder(), new AliasingFetchResponseDecoder());

  static final ServiceMethod<io.bootcache.v1.RecordSummary, io.bootcache.v1.RecordEvent> RECORD = BootCacheGrpcClient.Record;

  private static final class AliasingFetchResponseDecoder implements GrpcMessageDecoder<FetchResponse> {
    @Override
    public FetchResponse decode(GrpcMessage msg) throws CodecException {
      if (msg.format() != WireFormat.PROTOBUF) throw new IllegalArgumentException("FetchStream speaks protobuf, got " + msg.format());
      byte[] bytes = msg.payload().getBytes(); // our own copy: safe to alias
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.enableAliasing(true);
      try {
        return FetchResponse.parseFrom(in);
      } catch (java.io.IOException e) {
        throw new CodecException(e);
      }
    }

    @Override
    public boolean accepts(WireFormat format) {
      return format == WireFormat.PROTOBUF;
    }
  }
}
