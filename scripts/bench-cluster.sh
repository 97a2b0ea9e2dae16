#!/usr/bin/env bash
# Cold boots on one node against the same boots on three: does a cluster keep its throughput when the
# boots' blocks are spread over three nodes (misses loaded by their stripe's owner, hits fetched from
# other nodes' memory)? Four boots of a fresh image at once, each VM attached over NBD to a node of
# its own (round robin), every node a separate JVM on this machine, the backend +LATENCY a read.
#
#   scripts/bench-cluster.sh [--rounds 3] [--warmup 1] [--latency 2ms] [--scale 1]
#
# Prints, per round, reads/s and wall time of four cold boots on one node, then on three, and the
# ratio of the medians (goal >= 0.8), with the CPU seconds of every node process and, over all
# measured rounds, by kind of thread (JIT compiler, Ignite's network, ...). Each topology first boots
# --warmup images unmeasured, to warm its JVMs up. Build first:
# mvn -B -q install -DskipTests. NODE_JAVA_OPTS is added to each node's JVM (not the load generator's),
# with @NODE@ replaced by the node's name, e.g. to profile:
#   NODE_JAVA_OPTS='-XX:StartFlightRecording=filename=/tmp/@NODE@.jfr,settings=profile' scripts/bench-cluster.sh
set -euo pipefail

ROUNDS=3
WARMUP=1
LATENCY=2ms
SCALE=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --latency) LATENCY=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    *) echo "unknown option $1 (--rounds N, --warmup N, --latency D, --scale S)" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_JAR=${NODE_JAR:-$ROOT/node/target/bootcache-node.jar}   # NODE_JAR=... to compare another build
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

ROUND_NAMES=($(seq -f 'w%g' 1 "$WARMUP") $(seq 1 "$ROUNDS"))   # warm-ups w1.., then measured 1..
echo "images: $((2 * (WARMUP + ROUNDS))) fresh ones, four boots each (the same reads over other bytes)"
seed=0
for r in "${ROUND_NAMES[@]}"; do
  for n in 1 3; do sim boot-image "$WORK/img-$n-$r.raw" "${BOOT[@]}" --boots 4 --content-seed $((seed += 1)) > /dev/null; done
done

DISC=$(python3 -c 'import random; print(random.randint(30000,40000))')
start_node() {   # INDEX [SEED]
  local i=$1 grpc admin nbd
  grpc=$(free_port); admin=$(free_port); nbd=$(free_port)
  local seed=()
  [[ $i -gt 0 ]] && seed=(--seed "127.0.0.1:$DISC")
  local opts=() o=${NODE_JAVA_OPTS:-}
  read -ra opts <<< "${o//@NODE@/n$i}"
  java "${opts[@]}" -Xmx512m -XX:MaxDirectMemorySize=256m -jar "$NODE_JAR" --name "n$i" --data-dir "$WORK/data-$i" \
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

# CPU seconds so far of each thread of the node processes, with its kind (from its name as Linux
# keeps it, 15 characters), and of each process: where the nodes' CPU goes, not only how much.
threads_cpu() {   # OUT PID...
  local out=$1; shift
  python3 - "$out" "$@" <<'PY'
import json, os, re, sys
kinds = [("JIT compiler", r"^C[12] Compiler"), ("GC", r"^(GC Thread|G1 )"),
         ("Ignite network", r"^(grid-nio-worker|tcp-comm|tcp-disco|nio-acceptor)"),
         ("Ignite message and job pools", r"^(sys-|pub-|utility-|mgmt-|callback-|exchange-|rebalance|grid-timeout|ignite-clock|disco-|ttl-|data-streamer|async-)"),
         ("bootcache read path, NBD, gRPC", r"^(bootcache-|nbd-|vert\.x-)")]
tick = os.sysconf("SC_CLK_TCK")
def seconds(stat):   # name, CPU s of a /proc stat line
    fields = stat[stat.rindex(")") + 2:].split()
    return stat[stat.index("(") + 1:stat.rindex(")")], (int(fields[11]) + int(fields[12])) / tick
snap = {"processes": {}, "threads": {}}
for pid in sys.argv[2:]:
    snap["processes"][pid] = seconds(open(f"/proc/{pid}/stat").read())[1]  # ended threads included
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name, s = seconds(open(f"/proc/{pid}/task/{tid}/stat").read())
        except OSError:
            continue  # the thread ended meanwhile
        snap["threads"][tid] = [next((k for k, rx in kinds if re.search(rx, name)), "other JVM threads"), s]
json.dump(snap, open(sys.argv[1], "w"))
PY
}

echo "one node, cold ($WARMUP unmeasured rounds warm the JVM up)"
for r in $(seq 1 "$WARMUP"); do run "one-w$r" "img-1-w$r" 0; done
threads_cpu "$WORK/cpu-one-start.json" "${PIDS[0]}"
for r in $(seq 1 "$ROUNDS"); do run "one-$r" "img-1-$r" 0; done
threads_cpu "$WORK/cpu-one-end.json" "${PIDS[0]}"
echo "three nodes: starting two more"
start_node 1
start_node 2
echo "three nodes, cold (client i on node i mod 3; $WARMUP unmeasured rounds warm the new JVMs up)"
for r in $(seq 1 "$WARMUP"); do run "three-w$r" "img-3-w$r" 0 1 2; done
threads_cpu "$WORK/cpu-three-start.json" "${PIDS[@]}"
for r in $(seq 1 "$ROUNDS"); do run "three-$r" "img-3-$r" 0 1 2; done
threads_cpu "$WORK/cpu-three-end.json" "${PIDS[@]}"

python3 - "$WORK" "$ROUNDS" "$LATENCY" "$WARMUP" <<'EOF'
import json, statistics, sys
work, rounds, latency, warmup = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def load(label): return json.load(open(f"{work}/{label}.json"))
def rate(j): return j["reads_per_second"]
def cpu(j): return j["server_cpu_seconds"]
print(f"\nfour cold boots at once, backend +{latency} a read, every byte verified (after {warmup} unmeasured rounds)")
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
print("\nnode CPU s over all measured rounds, by kind of thread")
print("| threads | one node | three nodes |")
print("| --- | ---: | ---: |")
spent = {}
for name in ["one", "three"]:
    start, end = (json.load(open(f"{work}/cpu-{name}-{x}.json")) for x in ["start", "end"])
    by = {}
    for tid, (kind, s) in end["threads"].items():
        by[kind] = by.get(kind, 0) + s - start["threads"].get(tid, [kind, 0])[1]
    # the JVM ends idle compiler threads, Ignite some of its own: their time is in the process's
    ended = sum(end["processes"][p] - start["processes"][p] for p in end["processes"]) - sum(by.values())
    by["threads that ended during the rounds"] = ended
    spent[name] = by
kinds = sorted(set(spent["one"]) | set(spent["three"]), key=lambda k: -spent["three"].get(k, 0))
for k in kinds + ["all"]:
    one_s, three_s = (sum(spent[n].values()) if k == "all" else spent[n].get(k, 0) for n in ["one", "three"])
    print(f"| {k} | {one_s:.2f} | {three_s:.2f} |")
EOF
