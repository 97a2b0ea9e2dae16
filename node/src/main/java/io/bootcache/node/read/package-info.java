/**
 * The read path: a range of an image or disk, asked over NBD or gRPC, to its blocks.
 *
 * <ol>
 *   <li>{@link io.bootcache.node.read.BlockReader}: if this host's {@link io.bootcache.node.read.HostTier}
 *       holds every block, the answer is its memory, on the caller's thread. Done.</li>
 *   <li>Otherwise, batched with whatever else arrived: the disk's own layer, the host tier block by
 *       block, the {@link io.bootcache.node.read.DiskTier} on local disk, then
 *       {@link io.bootcache.node.read.ClusterBlocks}: index to hash to bytes in the cluster.</li>
 *   <li>Misses go, a stripe at a time, to the stripe's owner, whose {@link io.bootcache.node.read.Loader}
 *       joins the load in flight ({@link io.bootcache.node.read.SingleFlight}) or claims the blocks.</li>
 *   <li>Claims that arrive together are read with one backend read per run of neighbours, hashed, and
 *       answered at once; admission into the cluster, and into the asking host's tier, follows.</li>
 * </ol>
 */
package io.bootcache.node.read;
