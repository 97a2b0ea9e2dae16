package io.bootcache.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * One NBD client connection, on its network thread: the bytes it sent and has not been answered
 * for, and the phase it is in, negotiation then transmission. Anything the client does wrong costs
 * at most this connection. Work that may block (catalog look-ups, opening an export) runs on the
 * server's blocking threads while this connection parses nothing more.
 */
final class NbdConnection extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = Logger.getLogger(NbdConnection.class.getName());

  private final Function<SSLSession, ExportCatalog> catalogs;
  private final SSLContext tls; // null: this connection does not speak TLS
  private final NbdServer.Settings settings;
  private final Executor blocking;
  private ChannelHandlerContext ctx;
  private String peer;
  private SslHandler ssl; // set by NBD_OPT_STARTTLS
  private ExportCatalog catalog; // what this client may see: known once it first asks
  /** Bytes read and not yet parsed. */
  private ByteBuf in;
  private Negotiation negotiation;
  private Transmission transmission;
  private ScheduledFuture<?> handshakeDeadline;
  /** A blocking step is under way: parse nothing until it ends. */
  private boolean busy;
  /** Inside a read cycle: its end flushes what the cycle wrote. */
  private boolean reading;
  private boolean closed;

  NbdConnection(Function<SSLSession, ExportCatalog> catalogs, SSLContext tls, NbdServer.Settings settings,
      Executor blocking) {
    this.catalogs = catalogs;
    this.tls = tls;
    this.settings = settings;
    this.blocking = blocking;
  }

  ChannelHandlerContext ctx() { return ctx; }
  NbdServer.Settings settings() { return settings; }
  /** The exports this client may see: asked for once, after TLS if the connection speaks it. */
  ExportCatalog catalog() {
    if (catalog == null) catalog = catalogs.apply(ssl == null ? null : ssl.engine().getSession());
    return catalog;
  }

  /** This connection must be upgraded to TLS before anything else is answered. */
  boolean tlsRequired() { return tls != null && ssl == null; }
  /** NBD_OPT_STARTTLS can be answered here (TCP, and the server has TLS material). */
  boolean offersTls() { return tls != null; }
  String peer() { return peer; }
  boolean isClosed() { return closed; }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.peer = ctx.channel().remoteAddress() instanceof InetSocketAddress a
        ? a.getAddress().getHostAddress() + ":" + a.getPort() : "unix:" + ctx.channel().localAddress();
    handshakeDeadline = ctx.executor().schedule(() -> {
      LOG.info("connection from " + peer + " dropped: no export chosen within " + settings.handshakeTimeout());
      close();
    }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    negotiation = new Negotiation(this);
    negotiation.greet();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf bytes = (ByteBuf) msg;
    if (closed) {
      bytes.release();
      return;
    }
    in = in == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), in, bytes);
    reading = true;
    process();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    reading = false;
    if (transmission != null) transmission.flushIfNeeded();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    updateReading();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    if (handshakeDeadline != null) handshakeDeadline.cancel(false);
    releaseInput();
    if (transmission != null) transmission.connectionClosed();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.log(Level.FINE, "connection from " + peer + " failed", cause);
    close();
  }

  /** Parses what has arrived, as far as the phase allows. */
  void process() {
    while (!busy && !closed && in != null && in.isReadable()) {
      boolean progressed = transmission != null ? transmission.parse(in) : negotiation.parse(in);
      if (!progressed) break;
    }
    if (in != null && !in.isReadable()) releaseInput();
    else if (in != null) in.discardSomeReadBytes();
    if (!reading && transmission != null) transmission.flushIfNeeded(); // not in a read cycle: nothing else will
    updateReading();
  }

  /**
   * Runs {@code work} on a blocking thread, then {@code then} (or {@code failed}) back on this
   * connection's thread; the connection parses nothing meanwhile.
   */
  <T> void offload(Supplier<T> work, Consumer<T> then, Consumer<Throwable> failed) {
    busy = true;
    updateReading();
    CompletableFuture.supplyAsync(work, blocking).whenComplete((value, error) -> ctx.executor().execute(() -> {
      busy = false;
      if (closed) return;
      if (error == null) then.accept(value); else failed.accept(error.getCause() != null ? error.getCause() : error);
      process();
    }));
  }

  /**
   * After NBD_OPT_STARTTLS was acknowledged: the TLS handshake, server side, a client certificate
   * required; the negotiation goes on inside it. The client sends nothing else before its handshake.
   */
  void startTls() {
    if (in != null && in.isReadable()) {
      LOG.info("connection from " + peer + " dropped: it sent more after NBD_OPT_STARTTLS before the TLS handshake");
      releaseInput(); // not to be read as options in the clear
      close();
      return;
    }
    SSLEngine engine = tls.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setNeedClientAuth(true);
    ssl = new SslHandler(engine);
    ssl.handshakeFuture().addListener(f -> {
      if (!f.isSuccess()) {
        LOG.info("connection from " + peer + " dropped: TLS handshake failed: " + f.cause().getMessage());
        close();
      }
    });
    ctx.pipeline().addFirst("tls", ssl); // the acknowledgement went out in the clear before it
  }

  /** Negotiation chose an export and opened it: requests from here on. */
  void enterTransmission(NbdExport export, ExportConnection opened, boolean structured) {
    handshakeDeadline.cancel(false);
    negotiation = null;
    transmission = new Transmission(this, export, opened, structured, blocking);
  }

  /** Reads from the socket only while this connection can take more. */
  void updateReading() {
    boolean wanted = !busy && !closed && ctx.channel().isWritable()
        && (transmission == null || transmission.wantsInput());
    if (ctx.channel().config().isAutoRead() != wanted) {
      ctx.channel().config().setAutoRead(wanted);
      if (wanted) ctx.read();
    }
  }

  /** Hard close: what is written goes out first. */
  void close() {
    if (ctx.channel().isOpen()) ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  private void releaseInput() {
    if (in != null) {
      in.release();
      in = null;
    }
  }
}
