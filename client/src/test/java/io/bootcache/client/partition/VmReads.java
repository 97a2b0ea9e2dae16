package io.bootcache.client.partition;

import io.bootcache.nbd.Nbd;
import io.bootcache.nbd.RawNbdClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * A VM's reads, as a process of its own on a test host: random boot-sized reads of one export over
 * NBD, each checked against the image's file, until killed. Every quarter second it prints
 * {@code vm: checked=N wrong=N errors=N worst_ms=N problem=...}; a read that gets no answer within
 * 10 s counts as an error (and the connection is opened again).
 *
 * <p>{@code java VmReads HOST PORT EXPORT FILE SEED}
 */
public final class VmReads {
  private VmReads() {}

  static void closeQuietly(RawNbdClient nbd) {
    if (nbd == null) return;
    try {
      nbd.close();
    } catch (IOException e) {
      // a broken connection: opened again on the next read
    }
  }

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String export = args[2];
    byte[] content = Files.readAllBytes(Path.of(args[3]));
    Random rnd = new Random(Long.parseLong(args[4]));
    long checked = 0;
    long wrong = 0;
    long errors = 0;
    long worstNanos = 0;
    String problem = "-";
    long nextReport = 0;
    RawNbdClient nbd = null;
    while (true) {
      int length = 4096 * (1 + rnd.nextInt(32));
      long offset = 512L * rnd.nextInt((content.length - length) / 512);
      long start = System.nanoTime();
      try {
        if (nbd == null) {
          Socket socket = new Socket();
          socket.connect(new InetSocketAddress(host, port), 10_000);
          nbd = new RawNbdClient(socket).greet();
          nbd.socket.setSoTimeout(10_000);
          nbd.go(export);
        }
        nbd.request(Nbd.CMD_READ, 0, 1, offset, length);
        RawNbdClient.SimpleReply r = nbd.readSimpleReply(length);
        worstNanos = Math.max(worstNanos, System.nanoTime() - start);
        if (r.error() != 0) {
          errors++;
          problem = "NBD error " + r.error() + " at " + offset;
        } else if (!Arrays.equals(content, (int) offset, (int) offset + length, r.data(), 0, length)) {
          wrong++;
          problem = "wrong bytes at " + offset + "+" + length;
        } else {
          checked++;
        }
        Thread.sleep(5);
      } catch (Exception | AssertionError e) {
        errors++;
        problem = e.toString();
        closeQuietly(nbd);
        nbd = null;
        Thread.sleep(100);
      }
      if (System.nanoTime() - nextReport > 0) {
        System.out.printf("vm: checked=%d wrong=%d errors=%d worst_ms=%d problem=%s%n",
            checked, wrong, errors, worstNanos / 1_000_000, problem.replace(' ', '_'));
        nextReport = System.nanoTime() + 250_000_000L;
      }
    }
  }
}
