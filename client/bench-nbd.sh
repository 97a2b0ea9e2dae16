#!/usr/bin/env bash
# Measures the NBD server: nbdcopy of an image export to /dev/null, cold (fresh cluster, every block
# read from the backend file and admitted) and warm (second copy, from the cache), against reading the
# backing file directly (cat, nbdcopy of the file) and against qemu-nbd serving the same file.
#
#   client/bench-nbd.sh [SIZE_MIB]        (default 256; build first: mvn -q install -DskipTests)
#
# Starts one node (bootcache-node.jar) and `bootcache nbd` on free local ports, in a temp directory
# that it removes at the end; stops only the processes it started.
set -euo pipefail

SIZE_MIB=${1:-256}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_JAR=$ROOT/node/target/bootcache-node.jar
CLI_JAR=$ROOT/client/target/bootcache.jar
for f in "$NODE_JAR" "$CLI_JAR"; do
  [[ -f $f ]] || { echo "missing $f: build first (mvn -q install -DskipTests)" >&2; exit 2; }
done
for t in nbdcopy qemu-nbd; do
  command -v $t >/dev/null || { echo "missing $t: apt-get install -y qemu-utils libnbd-bin" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/bench-nbd.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 never opened" >&2; exit 1; }
now() { date +%s.%N; }
mbps() { python3 -c "print(f'{$SIZE_MIB*1048576/1e6/($2-$1):8.1f}')"; }

GRPC=$(free_port); ADMIN=$(free_port); NBD=$(free_port); QNBD=$(free_port)
DISC=$(python3 -c 'import random; print(random.randint(30000,40000))')
IMG=$WORK/image.raw
head -c $((SIZE_MIB * 1048576)) /dev/urandom > "$IMG"

MEM=$(( SIZE_MIB * 2 + 128 ))m
java -Xmx512m -jar "$NODE_JAR" --data-dir "$WORK/data" --grpc-port $GRPC --admin-port $ADMIN \
  --discovery-port $DISC --communication-port $((DISC + 20)) --memory $MEM > "$WORK/node.log" 2>&1 &
PIDS+=($!)
wait_port $GRPC
export BOOTCACHE_NODES=127.0.0.1:$GRPC
NODE_PID=${PIDS[0]}
java -jar "$CLI_JAR" image register bench "$IMG" >/dev/null
java -Xmx512m -jar "$CLI_JAR" nbd --listen 127.0.0.1:$NBD > "$WORK/nbd.log" 2>&1 &
NBD_PID=$!
PIDS+=($NBD_PID)
wait_port $NBD
qemu-nbd -r -f raw -x bench -b 127.0.0.1 -p $QNBD -t "$IMG" > "$WORK/qemu-nbd.log" 2>&1 &
PIDS+=($!)
wait_port $QNBD

run() { local t0 t1; t0=$(now); "$@" > /dev/null; t1=$(now); echo "$t0 $t1"; }
# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' /proc/$1/stat; }
cat "$IMG" > /dev/null   # the file in the page cache for every contender alike
read c0 c1 < <(run cat "$IMG")
read f0 f1 < <(run nbdcopy "$IMG" null:)
read q0 q1 < <(run nbdcopy "nbd://127.0.0.1:$QNBD/bench" null:)
read k0 k1 < <(run nbdcopy "nbd://127.0.0.1:$NBD/bench" null:)
n0=$(cpu $NBD_PID); o0=$(cpu $NODE_PID)
read w0 w1 < <(run nbdcopy "nbd://127.0.0.1:$NBD/bench" null:)
n1=$(cpu $NBD_PID); o1=$(cpu $NODE_PID)

CAT=$(mbps $c0 $c1); FILE=$(mbps $f0 $f1); QEMU=$(mbps $q0 $q1); COLD=$(mbps $k0 $k1); WARM=$(mbps $w0 $w1)
echo "image: $SIZE_MIB MiB of random bytes, one node, nbdcopy to null:, $(nproc) cores"
printf '%-46s %8s MB/s\n' "cat of the backing file (page cache)" "$CAT"
printf '%-46s %8s MB/s\n' "nbdcopy of the backing file" "$FILE"
printf '%-46s %8s MB/s\n' "nbdcopy from qemu-nbd serving the file" "$QEMU"
printf '%-46s %8s MB/s\n' "nbdcopy from bootcache nbd, cold" "$COLD"
printf '%-46s %8s MB/s\n' "nbdcopy from bootcache nbd, warm" "$WARM"
python3 -c "print(f'warm/cold {$WARM/$COLD:.2f}x, warm/qemu-nbd {$WARM/$QEMU:.2f}x, warm/nbdcopy-of-file {$WARM/$FILE:.3f}x')"
python3 -c "print(f'warm copy CPU per GiB read: bootcache nbd (with the client library) {($n1-$n0)*1024/$SIZE_MIB:.1f} s, node {($o1-$o0)*1024/$SIZE_MIB:.1f} s')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -jar "$CLI_JAR" stats | sed -n '1,12p'
