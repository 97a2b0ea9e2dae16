package io.bootcache.sim.storm;

import io.bootcache.sim.backend.Throttle;
import io.bootcache.sim.workload.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a storm run needs besides its workload's details.
 *
 * @param nodes external cluster addresses; empty: start one in-process node per host
 * @param cacheRegionBytes blocks region of each in-process node
 * @param backups backup copies of cached data on in-process nodes
 * @param duplicateFraction share of generated image blocks that are copies of common blocks
 * @param noCache, cold, warm which modes to run: straight to the backend; through a fresh
 *     cluster; the same storm again on that cluster
 * @param alone also boot one VM alone in each mode, for the storm-versus-alone ratio
 * @param record send every read to the boot session's recorder, as a shim does
 * @param viaGrpc the VMs read through the client library over gRPC, as a storage driver does; else,
 *     with in-process nodes, through their host node's own NBD server, as QEMU does
 */
public record StormSettings(Workload workload, String command, String scaling, Throttle throttle, int hosts,
    List<String> nodes, long cacheRegionBytes, int backups, double duplicateFraction, Path workDir,
    boolean noCache, boolean cold, boolean warm, boolean alone, boolean record, boolean viaGrpc, Duration timeout) {

  public StormSettings {
    nodes = List.copyOf(nodes);
    if (hosts < 1) throw new IllegalArgumentException("--hosts must be at least 1, got " + hosts);
    if (!noCache && !cold && !warm) throw new IllegalArgumentException("no mode to run");
  }
}
