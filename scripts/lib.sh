# Shared by the bench scripts: source it, then `workdir NAME` makes $WORK (removed at exit) and
# starts $PIDS, the processes to stop at exit (append each one started: PIDS+=($!)).

workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  PIDS=()
  trap cleanup EXIT
}
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {   # PORT-OR-SOCKET-FILE LOG: until it opens, or the process that was to open it ($!) has exited
  local pid=$! log=$2
  for _ in $(seq 1 300); do
    if [[ $1 == /* ]]; then [[ -S $1 ]] && return 0
    else (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "$1 never opened; $(basename "$log") begins and ends:" >&2; { head -4 "$log"; echo "  ..."; tail -3 "$log"; } >&2; exit 1
}
