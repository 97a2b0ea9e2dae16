package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.verifiedRange;

import com.google.protobuf.ByteString;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.ReadEvent;
import io.bootcache.v1.RecordEvent;
import io.bootcache.v1.RecordSummary;
import io.bootcache.v1.WriteEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;
import java.util.List;

/** Record streams and disk reads on the wire, as a recorder and a storage driver send them. */
final class RecordEvents {
  private RecordEvents() {}

  static RecordEvent write(String session, long offset, byte[] data) {
    return RecordEvent.newBuilder().setSessionId(session)
        .setWrite(WriteEvent.newBuilder().setOffset(offset).setData(ByteString.copyFrom(data))).build();
  }

  static RecordEvent read(String session, long offset, long length, long t) {
    return RecordEvent.newBuilder().setSessionId(session)
        .setRead(ReadEvent.newBuilder().setOffset(offset).setLength(length).setTMs(t)).build();
  }

  /** Sends the events on one Record stream and ends it; the node's summary, or its refusal. */
  static Future<RecordSummary> record(BootCacheGrpcClient node, List<RecordEvent> events) {
    Promise<WriteStream<RecordEvent>> stream = Promise.promise();
    Future<RecordSummary> summary = node.record(stream);
    WriteStream<RecordEvent> out = await(stream.future());
    events.forEach(out::write);
    out.end();
    return summary;
  }

  /** The disk's bytes at [offset, offset + length), every block checked against its hash. */
  static byte[] readDisk(BootCacheGrpcClient node, String disk, int offset, int length) {
    var r = await(node.fetch(FetchRequest.newBuilder().setDiskId(disk).setOffset(offset).setLength(length).build()));
    return verifiedRange(r, offset, length);
  }
}
