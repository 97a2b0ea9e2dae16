package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;

/** The blocks a read covers, whole, with their hashes; how many came from cache and from the backend. */
public record ReadResult(long firstBlock, int blockSize, byte[][] data, BlockHash[] hashes, int hits, int misses) {}
