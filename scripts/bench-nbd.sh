#!/usr/bin/env bash
# Measures bootcache's NBD path against nbdkit (and qemu-nbd) serving the same boot image, side by
# side in one run, with boot-shaped reads (simulator: nbd-bench, the linux preset plus the firmware's
# 512-byte reads). Every figure is taken in rounds that alternate the servers, so noise shows as the
# spread over rounds; each ratio is bootcache / nbdkit within one round.
#
#   scripts/bench-nbd.sh [--rounds 5] [--bootcache shim|node-tcp|node-unix] [--no-qemu-nbd]
#                        [--firmware-reads 1759] [--scale 1] [--latency 2ms] [--node-args '...']
#                        [--results DIR]
#
# Build first (mvn -B -ntp -q package -DskipTests). Needs nbdkit, qemu-nbd (qemu-utils), python3.
# NODE_JAR=PATH runs another build of the node (to compare two builds side by side, run twice).
#
#   warm   one node and bootcache's NBD endpoint, warmed by one pass of all the boots; then per round
#          and server: 1 client at 1 read in flight (latency), 4 clients at 16 in flight (throughput),
#          CPU seconds of every server process (/proc/PID/stat) per GiB served; each run replays its
#          boots untimed first (so that the load generator's JIT is warm too), then timed
#   cold   per round a fresh image (same reads, other bytes): one boot, at the boot's own depths,
#          through bootcache over a backend with --latency added to every read, against the same
#          reads straight from that backend (nbdkit's delay filter, rdelay=LATENCY); then the same
#          without the firmware's reads, on another fresh image: the OS's reads alone
#
# --bootcache picks bootcache's endpoint: shim (default) is `bootcache nbd` -> gRPC -> node, over
# TCP; node-tcp and node-unix are the node serving NBD itself (bootcache-node --nbd HOST:PORT or
# --nbd-socket PATH). nbdkit and qemu-nbd use the same transport as bootcache.
# Starts everything on free local ports in a temporary directory, stops only what it started.
set -euo pipefail

ROUNDS=5
ENDPOINT=shim
QEMU_NBD=yes
FIRMWARE_READS=1759   # DESIGN.md: firmware and GRUB of a Debian 12 boot
SCALE=1
LATENCY=2ms
NODE_ARGS=""
RESULTS=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --bootcache) ENDPOINT=$2; shift 2 ;;
    --no-qemu-nbd) QEMU_NBD=no; shift ;;
    --firmware-reads) FIRMWARE_READS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --latency) LATENCY=$2; shift 2 ;;
    --node-args) NODE_ARGS=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "--rounds takes a whole number of at least 1, got '$ROUNDS'" >&2; exit 2; }
[[ $ENDPOINT =~ ^(shim|node-tcp|node-unix)$ ]] || { echo "--bootcache takes shim, node-tcp or node-unix, got '$ENDPOINT'" >&2; exit 2; }
[[ $LATENCY =~ ^[0-9]+ms$ ]] || { echo "--latency takes milliseconds like 2ms, got '$LATENCY'" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_JAR=${NODE_JAR:-$ROOT/node/target/bootcache-node.jar}
CLI_JAR=$ROOT/client/target/bootcache.jar
SIM_JAR=$ROOT/simulator/target/bootcache-sim.jar
for f in "$NODE_JAR" "$CLI_JAR" "$SIM_JAR"; do
  [[ -f $f ]] || { echo "missing $f: build first (mvn -B -ntp -q package -DskipTests)" >&2; exit 2; }
done
tools=(nbdkit python3)
[[ $QEMU_NBD == yes ]] && tools+=(qemu-nbd)
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null || { echo "missing $t (Debian: apt-get install -y nbdkit qemu-utils python3)" >&2; exit 2; }
done

source "$ROOT/scripts/lib.sh"
workdir bench-nbd
OUT=${RESULTS:-$WORK/results}
mkdir -p "$OUT" "$WORK/cold"

say() { echo "$*" >&2; }
# "listen options" "URL" of a server on this run's transport, for the export name $2
endpoint() {
  if [[ $ENDPOINT == node-unix ]]; then echo "$WORK/$1.sock nbd+unix:///$2?socket=$WORK/$1.sock"
  else local port; port=$(free_port); echo "$port nbd://127.0.0.1:$port/$2"; fi
}
sim() { java -Xmx1g -jar "$SIM_JAR" "$@"; }
BOOT=(--preset linux --scale "$SCALE")

say "images: boot.raw and $((2 * ROUNDS)) cold images (the same reads, other bytes)"
sim boot-image "$WORK/boot.raw" "${BOOT[@]}" --firmware-reads "$FIRMWARE_READS" --boots 4 > "$OUT/image.txt"
for r in $(seq 1 "$ROUNDS"); do
  for kind in boot os; do
    seed=$((r * 2 + 100)); [[ $kind == os ]] && seed=$((seed + 1))
    sim boot-image "$WORK/cold/cold-$kind-$r" "${BOOT[@]}" --firmware-reads "$FIRMWARE_READS" --boots 1 \
      --content-seed "$seed" >> "$OUT/image.txt"
  done
done

# nbdkit: listen on a port (-i 127.0.0.1 -p PORT) or a socket (-U PATH)
nbdkit_listen() { if [[ $1 == /* ]]; then echo "-U $1"; else echo "-i 127.0.0.1 -p $1"; fi; }
read -r at NBDKIT_URL < <(endpoint nbdkit boot)
# shellcheck disable=SC2046
nbdkit -f $(nbdkit_listen "$at") file "$WORK/boot.raw" > "$WORK/nbdkit.log" 2>&1 &
NBDKIT_PID=$!; PIDS+=("$NBDKIT_PID"); wait_for "$at" "$WORK/nbdkit.log"
SERVERS=(nbdkit)
if [[ $QEMU_NBD == yes ]]; then
  read -r at QEMU_URL < <(endpoint qemu-nbd boot)
  if [[ $at == /* ]]; then listen=(-k "$at"); else listen=(-b 127.0.0.1 -p "$at"); fi
  qemu-nbd -r -f raw -x boot -t -e 16 "${listen[@]}" "$WORK/boot.raw" > "$WORK/qemu-nbd.log" 2>&1 &
  QEMU_PID=$!; PIDS+=("$QEMU_PID"); wait_for "$at" "$WORK/qemu-nbd.log"
  SERVERS+=(qemu-nbd)
fi
read -r at DELAY_URL < <(endpoint nbdkit-delay "")
# shellcheck disable=SC2046
nbdkit -f $(nbdkit_listen "$at") --filter=delay file dir="$WORK/cold" rdelay="$LATENCY" > "$WORK/nbdkit-delay.log" 2>&1 &
DELAY_PID=$!; PIDS+=("$DELAY_PID"); wait_for "$at" "$WORK/nbdkit-delay.log"

GRPC=$(free_port); ADMIN=$(free_port)
DISC=$(python3 -c 'import random; print(random.randint(30000,40000))')
node_nbd=()
case $ENDPOINT in
  node-tcp) read -r at BOOTCACHE_URL < <(endpoint node boot); node_nbd=(--nbd "127.0.0.1:$at") ;;
  node-unix) read -r at BOOTCACHE_URL < <(endpoint node boot); node_nbd=(--nbd-socket "$at") ;;
esac
# shellcheck disable=SC2086
java -Xmx1g -jar "$NODE_JAR" --data-dir "$WORK/data" --grpc-port "$GRPC" --admin-port "$ADMIN" \
  --discovery-port "$DISC" --communication-port $((DISC + 20)) --memory 1g --backend-latency "$LATENCY" \
  "${node_nbd[@]}" $NODE_ARGS > "$WORK/node.log" 2>&1 &
NODE_PID=$!; PIDS+=("$NODE_PID"); wait_for "$GRPC" "$WORK/node.log"
export BOOTCACHE_NODES=127.0.0.1:$GRPC
java -jar "$CLI_JAR" image register boot "$WORK/boot.raw" > /dev/null
for f in "$WORK"/cold/*; do java -jar "$CLI_JAR" image register "$(basename "$f")" "$f" > /dev/null; done
BOOTCACHE_PIDS=bootcache-node=$NODE_PID
if [[ $ENDPOINT == shim ]]; then
  SHIM_PORT=$(free_port)
  java -Xmx1g -jar "$CLI_JAR" nbd --listen "127.0.0.1:$SHIM_PORT" > "$WORK/shim.log" 2>&1 &
  SHIM_PID=$!; PIDS+=("$SHIM_PID"); wait_for "$SHIM_PORT" "$WORK/shim.log"
  BOOTCACHE_URL=nbd://127.0.0.1:$SHIM_PORT/boot
  BOOTCACHE_PIDS+=,bootcache-nbd=$SHIM_PID
else
  wait_for "$at" "$WORK/node.log"
fi
SERVERS+=(bootcache)
url() { case $1 in nbdkit) echo "$NBDKIT_URL" ;; qemu-nbd) echo "$QEMU_URL" ;; bootcache) echo "$BOOTCACHE_URL" ;; esac; }
pids() { case $1 in nbdkit) echo "nbdkit=$NBDKIT_PID" ;; qemu-nbd) echo "qemu-nbd=$QEMU_PID" ;; bootcache) echo "$BOOTCACHE_PIDS" ;; esac; }
# a URL with another export name
export_url() { echo "$1" | sed -E "s#(//[^/]*/)[^?]*#\\1$2#"; }

bench() {   # NAME SERVER-URL PIDS FIRMWARE-READS ARGS...
  local name=$1 url=$2 pids=$3 firmware=$4; shift 4
  say "  $name"
  sim nbd-bench "$url" "${BOOT[@]}" --firmware-reads "$firmware" --pid "$pids" --label "$name" --json "$OUT/$name.json" "$@" \
    > "$OUT/$name.txt" \
    || { cat "$OUT/$name.txt" >&2; say "nbd-bench failed: $name"; exit 1; }
}

say "warming bootcache: every boot once, in boot sessions, verified ($BOOTCACHE_URL)"
bench warmup-bootcache "$BOOTCACHE_URL" "$BOOTCACHE_PIDS" "$FIRMWARE_READS" --clients 4 --verify "$WORK/boot.raw"
for s in "${SERVERS[@]}"; do   # the first pass of each server is checked byte for byte
  bench "verify-$s" "$(url "$s")" "$(pids "$s")" "$FIRMWARE_READS" --clients 4 --in-flight 16 --verify "$WORK/boot.raw"
done

for r in $(seq 1 "$ROUNDS"); do
  say "round $r/$ROUNDS, warm"
  for s in "${SERVERS[@]}"; do
    bench "latency-$r-$s" "$(url "$s")" "$(pids "$s")" "$FIRMWARE_READS" --clients 1 --in-flight 1 --warmup-passes 3 --passes 3
  done
  for s in "${SERVERS[@]}"; do
    bench "throughput-$r-$s" "$(url "$s")" "$(pids "$s")" "$FIRMWARE_READS" --clients 4 --in-flight 16 --warmup-passes 2 --passes 5
  done
done
for r in $(seq 1 "$ROUNDS"); do
  say "round $r/$ROUNDS, cold (backend +$LATENCY)"
  for kind in boot os; do
    firmware=$FIRMWARE_READS; [[ $kind == os ]] && firmware=0
    image=cold-$kind-$r
    bench "$image-backend" "$(export_url "$DELAY_URL" "$image")" "nbdkit-delay=$DELAY_PID" "$firmware" --verify "$WORK/cold/$image"
    bench "$image-bootcache" "$(export_url "$BOOTCACHE_URL" "$image")" "$BOOTCACHE_PIDS" "$firmware" --verify "$WORK/cold/$image"
  done
done

echo "bootcache: $ENDPOINT ($BOOTCACHE_URL), nbdkit $(nbdkit --version | cut -d' ' -f2)$([[ $QEMU_NBD == yes ]] && echo ", $(qemu-nbd --version | head -1 | cut -d' ' -f1-2)"); $ROUNDS rounds, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
sed -n 2p "$OUT/warmup-bootcache.txt"
python3 - "$OUT" "$ROUNDS" "$LATENCY" "${SERVERS[@]}" <<'EOF'
import json, statistics, sys
out, rounds, latency, servers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def run(name): return json.load(open(f"{out}/{name}.json"))
def num(v): return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
def spread(values): return " / ".join(num(v) for v in (min(values), statistics.median(values), max(values)))
def per_round(phase, server, figure):   # runs are named PHASE-ROUND-SERVER, cold ones cold-KIND-ROUND-SERVER
    return [figure(run(f"{phase}-{r}-{server}")) for r in range(1, rounds + 1)]

figures = [
    ("warm, 1 in flight: p50 latency (ms)", "latency", lambda j: j["latency_ms"]["p50"], "<= 1.5", lambda x: x <= 1.5),
    ("warm, 16 in flight x 4 clients: reads/s", "throughput", lambda j: j["reads_per_second"], ">= 0.8", lambda x: x >= 0.8),
    ("warm, 16 in flight x 4 clients: server CPU s per GiB", "throughput", lambda j: j["server_cpu_seconds_per_gib"], "<= 1.5", lambda x: x <= 1.5),
]
print("\nmin / median / max over rounds; ratio = bootcache / nbdkit in the same round")
print(f"| figure | {' | '.join(servers)} | ratio | goal | met |")
print("| --- |" + " ---: |" * (len(servers) + 3))
for title, phase, figure, goal, met in figures:
    cells = [spread(per_round(phase, s, figure)) for s in servers]
    ratios = [b / n for b, n in zip(per_round(phase, "bootcache", figure), per_round(phase, "nbdkit", figure))]
    print(f"| {title} | {' | '.join(cells)} | {spread(ratios)} | {goal} | {'yes' if met(statistics.median(ratios)) else 'no'} |")
print(f"\n| figure | straight from the backend | bootcache | ratio | goal | met |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
cold_figures = [
    (f"cold first boot, backend +{latency} a read: wall s", "boot", lambda j: j["wall_seconds"], True),
    ("the same, the OS's reads alone (no firmware reads): wall s", "os", lambda j: j["wall_seconds"], False),
    ("the OS's reads alone: p50 latency of a read, ms", "os", lambda j: j["latency_ms"]["p50"], False),
    ("the OS's reads alone: p90 latency of a read, ms", "os", lambda j: j["latency_ms"]["p90"], False),
]
for title, kind, figure, goal in cold_figures:
    backend = per_round(f"cold-{kind}", "backend", figure)
    cold = per_round(f"cold-{kind}", "bootcache", figure)
    ratios = [c / b for c, b in zip(cold, backend)]
    met = ("yes" if statistics.median(ratios) <= 1.1 else "no") if goal else ""
    print(f"| {title} | {spread(backend)} | {spread(cold)} | {spread(ratios)} | {'<= 1.1' if goal else ''} | {met} |")

print("\nCPU seconds per GiB served, per process (median over rounds)")
print("| process | 1 client, 1 in flight | 4 clients, 16 in flight |")
print("| --- | ---: | ---: |")
for s in servers:
    names = [p["name"] for p in run(f"latency-1-{s}")["servers"]]
    for i, name in enumerate(names):
        lat = statistics.median(per_round("latency", s, lambda j: j["servers"][i]["cpu_seconds_per_gib"]))
        tput = statistics.median(per_round("throughput", s, lambda j: j["servers"][i]["cpu_seconds_per_gib"]))
        print(f"| {name} | {lat:.2f} | {tput:.2f} |")
print("| nbd-bench, the load generator (in the nbdkit runs) | "
      + f"{statistics.median(per_round('latency', 'nbdkit', lambda j: j['client_cpu_seconds'] / (j['bytes'] / 2**30))):.2f} | "
      + f"{statistics.median(per_round('throughput', 'nbdkit', lambda j: j['client_cpu_seconds'] / (j['bytes'] / 2**30))):.2f} |")

print("\nper round (latency p50 ms | reads/s at 4 x 16 | cold wall s)")
for r in range(1, rounds + 1):
    cells = [f"{s} {run(f'latency-{r}-{s}')['latency_ms']['p50']:.3f} | {run(f'throughput-{r}-{s}')['reads_per_second']:.0f}" for s in servers]
    print(f"  round {r}: " + "; ".join(cells)
          + f"; cold backend {run(f'cold-boot-{r}-backend')['wall_seconds']:.2f} s, bootcache {run(f'cold-boot-{r}-bootcache')['wall_seconds']:.2f} s"
          + f"; OS reads alone: backend {run(f'cold-os-{r}-backend')['wall_seconds']:.2f} s, bootcache {run(f'cold-os-{r}-bootcache')['wall_seconds']:.2f} s")
verified = sum(run(n)["verified_reads"] for n in ["warmup-bootcache"] + [f"verify-{s}" for s in servers])
verified += sum(run(f"cold-{c}-{r}-{k}")["verified_reads"] for c in ["boot", "os"] for r in range(1, rounds + 1) for k in ["backend", "bootcache"])
print(f"\n{verified} reads verified byte for byte, all equal to the file: the warm-up, each server's first 4 x 16 pass, every cold boot")
EOF
[[ -n $RESULTS ]] && echo "every run's figures: $OUT/*.json and *.txt"
exit 0
