#!/usr/bin/env bash
# Stop the control plane started by up.sh: kill exactly the PIDs recorded in
# $MAILAGENT_CLUSTER_DIR (default <repo>/.cluster), wait for them to exit, and
# remove the state directory. A node (up.sh --with-node) is stopped first and
# everything it did to the machine undone (test/cluster/node.sh down).
#   --keep-logs   keep the *.log files (the rest of the state is removed)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=versions.sh
source "$HERE/versions.sh"
STATE="${MAILAGENT_CLUSTER_DIR:-$ROOT/.cluster}"
KEEP_LOGS=0
[[ "${1:-}" == "--keep-logs" ]] && KEEP_LOGS=1

log() { printf '[down %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ ! -d "$STATE" ]]; then
  log "nothing to stop ($STATE does not exist)"
  exit 0
fi
# up.sh calls this while it holds the lock (MAILAGENT_LOCK_HELD=1).
if [[ "${MAILAGENT_LOCK_HELD:-}" != 1 ]]; then
  exec 9>"$STATE/.lock"
  flock -w 120 9 || { log "timed out waiting for the lock on $STATE/.lock"; exit 1; }
fi

# running <pid>: alive and not a zombie (our daemons are reparented to PID 1,
# which may be slow to reap them, or never).
running() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# stop <name> <binary>: TERM the recorded PID if it still runs <binary>, wait, then KILL.
stop() {
  local name="$1" bin f="$STATE/$1.pid" pid exe
  bin="$(readlink -f "$2" 2>/dev/null || echo "$2")"
  [[ -s "$f" ]] || return 0
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || { rm -f "$f"; return 0; }
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  if [[ -z "$exe" ]]; then
    log "$name (pid $pid) already gone"
  elif [[ "${exe% (deleted)}" != "$bin" ]]; then
    log "pid $pid is no longer $name ($exe): not touching it"
  else
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      running "$pid" || break
      sleep 0.1
    done
    if running "$pid"; then
      log "$name (pid $pid) still running after 10 s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    fi
    if running "$pid"; then
      log "ERROR: $name (pid $pid) did not exit"
      return 1
    fi
    # Exited; give its parent (PID 1 once up.sh is gone) a moment to reap it.
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

rc=0
# The node first (up.sh --with-node), while the API server still runs.
if [[ -d "$STATE/node" ]]; then
  MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/node.sh" down || { log "the node did not stop cleanly (see above)"; rc=1; }
fi
stop kube-controller-manager "$KUBE_CONTROLLER_MANAGER" || rc=1
stop kube-apiserver "$KUBE_APISERVER" || rc=1
stop etcd "$ETCD" || rc=1
[[ $rc == 0 ]] || { log "some processes did not stop; state left in $STATE"; exit 1; }

if [[ $KEEP_LOGS == 1 ]]; then
  find "$STATE" -mindepth 1 -maxdepth 1 ! -name '*.log' ! -name .lock -exec rm -rf {} +
  log "stopped; logs kept in $STATE"
else
  rm -rf --one-file-system "$STATE"
  log "stopped; removed $STATE"
fi
