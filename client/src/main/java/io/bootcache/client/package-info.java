/**
 * The bootcache client library: what a storage driver or the NBD server embeds to read boot disks
 * through the cluster.
 *
 * <p>A read: {@link io.bootcache.client.BootCacheClient#read} checks its input, sends the range on a
 * long-lived FetchStream to a node ({@link io.bootcache.client.FetchStream}, many requests in flight,
 * matched by id), verifies every covered block's SHA-256 and slices the range out without copying
 * ({@link io.bootcache.client.BlockVerifier}). When the cluster cannot answer, the next node is tried, then
 * the backend is read directly ({@link io.bootcache.client.BackendReader}, by default
 * {@link io.bootcache.client.LocationBackend} on the files, NBD exports or HTTP(S) objects the cluster told
 * of), so a VM never sees an
 * error the backend could have answered. A caller's mistake fails with
 * {@link io.bootcache.client.BootCacheException}.
 *
 * <p>A boot: {@link io.bootcache.client.BootCacheClient#startBoot} opens a session and its
 * {@link io.bootcache.client.Recorder}, which streams the VM's reads (best effort) and writes (never lost
 * silently: an undeliverable write marks the disk stale) to the cluster.
 */
package io.bootcache.client;
