#!/usr/bin/env bash
# Cold boots on one node against the same boots on three: does a cluster keep its throughput when the
# boots' blocks are spread over three nodes (misses loaded by their stripe's owner, hits fetched from
# other nodes' memory)? Four boots of a fresh image at once, each VM attached over NBD to a node of
# its own (round robin), every node a separate JVM on this machine, the backend +LATENCY a read.
#
#   scripts/bench-cluster.sh [--rounds 3] [--latency 2ms] [--scale 1]
#
# Prints, per round, reads/s and wall time of four cold boots on one node, then on three, and the
# ratio of the medians (goal >= 0.8), with the CPU seconds of every node process. Build first:
# mvn -B -q install -DskipTests.
set -euo pipefail

ROUNDS=3
LATENCY=2ms
SCALE=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --latency) LATENCY=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    *) echo "unknown option $1 (--rounds N, --latency D, --scale S)" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_JAR=$ROOT/node/target/bootcache-node.jar
CLI_JAR=$ROOT/client/target/bootcache.jar
SIM_JAR=$ROOT/simulator/target/bootcache-sim.jar
for f in "$NODE_JAR" "$CLI_JAR" "$SIM_JAR"; do
  [[ -f $f ]] || { echo "missing $f: build first (mvn -B -q install -DskipTests)" >&2; exit 2; }
done

source "$ROOT/scripts/lib.sh"
workdir bench-cluster
wait_up() { for _ in $(seq 1 300); do grep -q " up: " "$1" && return 0; sleep 0.2; done; echo "node did not start: $1" >&2; tail -20 "$1" >&2; exit 1; }
sim() { java -Xmx1g -jar "$SIM_JAR" "$@"; }
BOOT=(--preset linux --scale "$SCALE")

echo "images: $((2 * ROUNDS + 2)) fresh ones, four boots each (the same reads over other bytes)"
for r in $(seq 0 "$ROUNDS"); do   # round 0 warms each topology's JVMs up, unmeasured
  for n in 1 3; do sim boot-image "$WORK/img-$n-$r.raw" "${BOOT[@]}" --boots 4 --content-seed $((r * 10 + n)) > /dev/null; done
done

DISC=$(python3 -c 'import random; print(random.randint(30000,40000))')
start_node() {   # INDEX [SEED]
  local i=$1 grpc admin nbd
  grpc=$(free_port); admin=$(free_port); nbd=$(free_port)
  local seed=()
  [[ $i -gt 0 ]] && seed=(--seed "127.0.0.1:$DISC")
  java -Xmx512m -XX:MaxDirectMemorySize=256m -jar "$NODE_JAR" --name "n$i" --data-dir "$WORK/data-$i" \
    --grpc-port "$grpc" --admin-port "$admin" --discovery-port $((DISC + i)) --communication-port $((DISC + 20 + i)) \
    --memory 256m --host-memory 128m --backend-latency "$LATENCY" --nbd "127.0.0.1:$nbd" "${seed[@]}" \
    > "$WORK/node-$i.log" 2>&1 &
  PIDS+=($!)
  wait_up "$WORK/node-$i.log"
  NBD[$i]=$nbd
  GRPC[$i]=$grpc
}

declare -a NBD GRPC
start_node 0
export BOOTCACHE_NODES=127.0.0.1:${GRPC[0]}
for f in "$WORK"/img-*.raw; do java -jar "$CLI_JAR" image register "$(basename "$f" .raw)" "$f" > /dev/null; done

run() {   # LABEL IMAGE NODES...
  local label=$1 image=$2; shift 2
  local urls=() pids=()
  for i in "$@"; do urls+=("nbd://127.0.0.1:${NBD[$i]}/$image"); pids+=("n$i=${PIDS[$i]}"); done
  sim nbd-bench "${urls[@]}" "${BOOT[@]}" --clients 4 --verify "$WORK/$image.raw" --label "$label" \
    --pid "$(IFS=,; echo "${pids[*]}")" --json "$WORK/$label.json" > "$WORK/$label.txt"
  echo "  $label"
}

echo "one node, cold (round 0 warms the JVM up, unmeasured)"
for r in $(seq 0 "$ROUNDS"); do run "one-$r" "img-1-$r" 0; done
echo "three nodes: starting two more"
start_node 1
start_node 2
echo "three nodes, cold (client i on node i mod 3; round 0 warms the new JVMs up, unmeasured)"
for r in $(seq 0 "$ROUNDS"); do run "three-$r" "img-3-$r" 0 1 2; done

python3 - "$WORK" "$ROUNDS" "$LATENCY" <<'EOF'
import json, statistics, sys
work, rounds, latency = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(label): return json.load(open(f"{work}/{label}.json"))
def rate(j): return j["reads_per_second"]
def cpu(j): return j["server_cpu_seconds"]
print(f"\nfour cold boots at once, backend +{latency} a read, every byte verified (after an unmeasured round 0)")
print("| nodes | round | reads | wall s | reads/s | p50 ms | p99 ms | node CPU s |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for n, name in [(1, "one"), (3, "three")]:
    for r in range(1, rounds + 1):
        j = load(f"{name}-{r}")
        print(f"| {n} | {r} | {j['reads']} | {j['wall_seconds']:.2f} | {rate(j):,.0f} | {j['latency_ms']['p50']:.2f} | {j['latency_ms']['p99']:.2f} | {cpu(j):.2f} |")
one = statistics.median(rate(load(f"one-{r}")) for r in range(1, rounds + 1))
three = statistics.median(rate(load(f"three-{r}")) for r in range(1, rounds + 1))
ok = "met" if three / one >= 0.8 else "not met"
print(f"\nthroughput, three nodes / one node (medians): {three:,.0f} / {one:,.0f} = {three / one:.2f} (goal >= 0.8: {ok})")
errors = sum(load(f"{n}-{r}")["errors"] for n in ["one", "three"] for r in range(1, rounds + 1))
print(f"errors: {errors}")
EOF
