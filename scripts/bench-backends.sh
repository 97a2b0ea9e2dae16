#!/usr/bin/env bash
# Copies one image through a node's NBD server with nbdcopy while the image lives in a file, on an
# nbdkit export (nbd://) and on an HTTP server that honours Range (http://): cold (every block read
# from the backend) then warm (from the node's host tier), checking every copy against the file.
#
#   scripts/bench-backends.sh [--size-mib 64] [--rounds 3] [--latency 0ms]
#
# Build first (mvn -B -ntp -q install -DskipTests: the HTTP server is the tests' RangeHttpServer).
# Needs nbdkit, nbdcopy (libnbd-bin), python3. Each round registers the three images under new ids,
# so that each round's first copy is cold. Starts everything on free local ports in a temporary
# directory and stops only what it started.
set -euo pipefail

SIZE_MIB=64
ROUNDS=3
LATENCY=0ms
while [[ $# -gt 0 ]]; do
  case $1 in
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --latency) LATENCY=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
NODE_JAR=node/target/bootcache-node.jar
CLI_JAR=client/target/bootcache.jar
HTTP_JAR=$(ls backends/target/bootcache-backends-*-tests.jar)
for t in nbdkit nbdcopy python3; do
  command -v "$t" >/dev/null || { echo "missing $t (Debian: apt-get install -y nbdkit libnbd-bin python3)" >&2; exit 2; }
done

source scripts/lib.sh
workdir bench-backends
now() { date +%s.%N; }

mkdir -p "$WORK/images"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$WORK/images/golden.raw"

NBD_PORT=$(free_port)
nbdkit -f --exit-with-parent -i 127.0.0.1 -p "$NBD_PORT" --readonly file dir="$WORK/images" > "$WORK/nbdkit.log" 2>&1 &
PIDS+=($!); wait_for "$NBD_PORT" "$WORK/nbdkit.log"
HTTP_PORT=$(free_port)
java -Xmx128m -cp "$HTTP_JAR" io.bootcache.backends.RangeHttpServer "$WORK/images" "$HTTP_PORT" > "$WORK/http.log" 2>&1 &
PIDS+=($!); wait_for "$HTTP_PORT" "$WORK/http.log"
GRPC=$(free_port); ADMIN=$(free_port); NODE_NBD=$(free_port)
DISC=$(python3 -c 'import random; print(random.randint(30000,40000))')
java -Xmx512m -XX:MaxDirectMemorySize=1g -jar "$NODE_JAR" --data-dir "$WORK/data" --grpc-port "$GRPC" --admin-port "$ADMIN" \
  --discovery-port "$DISC" --communication-port $((DISC + 20)) --memory 512m --host-memory 512m \
  --backend-latency "$LATENCY" --nbd "127.0.0.1:$NODE_NBD" > "$WORK/node.log" 2>&1 &
PIDS+=($!); wait_for "$GRPC" "$WORK/node.log"; wait_for "$NODE_NBD" "$WORK/node.log"
export BOOTCACHE_NODES=127.0.0.1:$GRPC

backend_reads() {   # IMAGE: the node's backend reads of that image so far
  python3 - "$ADMIN" "$1" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read().decode()
key = f'bootcache_image_backend_reads_total{{image="{sys.argv[2]}"}}'
print(next((int(float(l.split()[-1])) for l in text.splitlines() if l.startswith(key)), 0))
PY
}

echo "backend,round,cold_s,cold_backend_reads,warm_s,warm_backend_reads"
for r in $(seq 1 "$ROUNDS"); do
  for kind in ${KINDS:-file nbd http}; do
    case $kind in
      file) location=$WORK/images/golden.raw ;;
      nbd) location=nbd://127.0.0.1:$NBD_PORT/golden.raw ;;
      http) location=http://127.0.0.1:$HTTP_PORT/golden.raw ;;
    esac
    id=$kind-$r
    java -jar "$CLI_JAR" image register "$id" "$location" > /dev/null
    row="$kind,$r"; seen=0
    for pass in cold warm; do
      rm -f "$WORK/copy.raw"
      t0=$(now)
      nbdcopy "nbd://127.0.0.1:$NODE_NBD/$id" "$WORK/copy.raw" || { echo "$id: nbdcopy failed; the node's log ends:" >&2; tail -20 "$WORK/node.log" >&2; exit 1; }
      t1=$(now)
      cmp -s "$WORK/copy.raw" "$WORK/images/golden.raw" || { echo "$id: the $pass copy differs from the file" >&2; exit 1; }
      reads=$(backend_reads "$id")
      row+=",$(python3 -c "print(f'{$t1 - $t0:.3f}')"),$((reads - ${seen:-0}))"
      seen=$reads
    done
    echo "$row"
  done
done
