#!/usr/bin/env bash
# Start a local Kubernetes control plane for the e2e tests: etcd,
# kube-apiserver and kube-controller-manager on 127.0.0.1 (free ports picked at
# run time), no nodes. State, logs, PID files and the admin kubeconfig go to
# $MAILAGENT_CLUSTER_DIR (default: <repo>/.cluster).
#
# Idempotent: if a plane started from this directory is running and ready, it
# is reused. The last line of stdout says which:
#   MAILAGENT_CLUSTER=started|reused <kubeconfig>
# Missing binaries are built first (test/cluster/build.sh, long the first time).
#
# --with-node (or MAILAGENT_WITH_NODE=1): also one node that runs pods
# (test/cluster/node.sh: containerd, kubelet, kube-scheduler, kube-proxy; root
# only). The API server then also listens on the node IP, which it advertises
# so that pods reach it through the "kubernetes" Service. A running plane
# without a node is restarted with one; a plane with a node is reused as is.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=versions.sh
source "$HERE/versions.sh"
STATE="${MAILAGENT_CLUSTER_DIR:-$ROOT/.cluster}"
KUBECONFIG_OUT="$STATE/kubeconfig"
SERVICE_CIDR="${MAILAGENT_SERVICE_CIDR:-10.96.0.0/16}"
SERVICE_IP="${MAILAGENT_SERVICE_IP:-10.96.0.1}"   # first IP of SERVICE_CIDR: the kubernetes Service
READY_TIMEOUT="${MAILAGENT_CLUSTER_TIMEOUT:-120}"
WITH_NODE="${MAILAGENT_WITH_NODE:-0}"
for arg in "$@"; do
  case "$arg" in
    --with-node) WITH_NODE=1 ;;
    *) echo "usage: $0 [--with-node]" >&2; exit 2 ;;
  esac
done
[[ "$WITH_NODE" == 1 || "$WITH_NODE" == true ]] && WITH_NODE=1 || WITH_NODE=0
NODE_IP="${MAILAGENT_NODE_IP:-10.244.0.1}"   # test/cluster/node.sh: the node's bridge address

log() { printf '[up %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[up] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$STATE"
# One up/down at a time per state directory.
exec 9>"$STATE/.lock"
flock -w 600 9 || die "timed out waiting for the lock on $STATE/.lock"

# pid_alive <name> <binary>: the PID in $STATE/<name>.pid runs <binary>.
pid_alive() {
  local f="$STATE/$1.pid" pid exe
  [[ -s "$f" ]] || return 1
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ "$exe" == "$(readlink -f "$2")" ]]
}

plane_ready() {
  [[ -s "$KUBECONFIG_OUT" ]] || return 1
  [[ "$("$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" --request-timeout=5s get --raw /readyz 2>/dev/null)" == ok ]]
}

all_alive() {
  pid_alive etcd "$ETCD" && pid_alive kube-apiserver "$KUBE_APISERVER" \
    && pid_alive kube-controller-manager "$KUBE_CONTROLLER_MANAGER"
}

# --- reuse a running plane ---------------------------------------------------
node_running() { [[ "$(cat "$STATE/mode" 2>/dev/null)" == node ]] && "$HERE/node.sh" status; }
if [[ -x "$KUBECTL" ]] && all_alive && plane_ready; then
  if [[ $WITH_NODE == 0 ]] || node_running; then
    log "control plane already running ($(<"$STATE/server"))$( [[ -f "$STATE/node/kubelet.pid" ]] && echo ' with its node'), reusing it"
    echo "MAILAGENT_CLUSTER=reused $KUBECONFIG_OUT"
    exit 0
  fi
  log "control plane running without a (working) node: restarting it with one"
fi
if compgen -G "$STATE/*.pid" >/dev/null || [[ -d "$STATE/node" ]]; then
  log "stale or partial control plane in $STATE: stopping it first"
  MAILAGENT_LOCK_HELD=1 MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/down.sh" --keep-logs >&2 \
    || die "could not stop the previous control plane in $STATE"
fi

# --- binaries ----------------------------------------------------------------
if ! "$HERE/bin-path.sh" --check >/dev/null 2>&1; then
  log "binaries missing under $MAILAGENT_CACHE_DIR/bin: running build.sh (takes long the first time)"
  "$HERE/build.sh" --plane >&2 || die "build.sh failed"
fi
for t in openssl flock; do command -v "$t" >/dev/null || die "$t is required"; done
if [[ $WITH_NODE == 1 ]]; then
  MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/node.sh" preflight || die "cannot start a node here (see above)"
fi

# --- free ports ---------------------------------------------------------------
# Ports are picked outside the kernel's ephemeral range, where outgoing
# connections take their local ports (a port used that way cannot be bound).
read -r EPH_LO EPH_HI < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { EPH_LO=32768; EPH_HI=60999; }
if (( EPH_LO > 12000 )); then PORT_LO=10000; PORT_HI=$(( EPH_LO - 1 ))
else PORT_LO=$(( EPH_HI + 1 )); PORT_HI=65535; fi
declare -A TAKEN=()
port_in_use() {
  # Any socket (listening, connected, TIME_WAIT) with that local port.
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]] && return 0
  fi
  # A connect that succeeds means something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
FETCH_BAD_PORT=10080
free_port() { # free_port <var>: sets <var> to a free port
  local p
  for _ in $(seq 1 500); do
    p=$(( PORT_LO + (RANDOM * 32768 + RANDOM) % (PORT_HI - PORT_LO + 1) ))
    [[ -n "${TAKEN[$p]:-}" ]] && continue
    # 10080 is on the Fetch standard's "bad ports" list: undici's fetch, which
    # client-node 2 sends through, refuses to connect there.
    (( p == FETCH_BAD_PORT )) && continue
    if ! port_in_use "$p"; then
      TAKEN[$p]=1; printf -v "$1" '%s' "$p"; return 0
    fi
  done
  die "no free port found in $PORT_LO-$PORT_HI"
}

# --- certificates ---------------------------------------------------------------
PKI="$STATE/pki"
gen_pki() {
  rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
  local d="$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout "$d/ca.key" -out "$d/ca.crt" -subj "/CN=mailagent-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # sign <name> <subject> <extensions>
  sign() {
    openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$d/$1.key" -out "$d/$1.csr" -subj "$2" 2>/dev/null
    printf '%s\n' "$3" > "$d/$1.ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 3650 -sha256 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
    rm -f "$d/$1.csr" "$d/$1.ext"
  }
  sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,$( [[ $WITH_NODE == 1 ]] && echo "IP:$NODE_IP," )DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign admin "/O=system:masters/CN=kubernetes-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  # Front proxy (request-header authentication): without it, components that
  # read extension-apiserver-authentication log errors about a missing CA.
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout "$d/front-proxy-ca.key" -out "$d/front-proxy-ca.crt" -subj "/CN=mailagent-test-front-proxy-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$d/front-proxy-client.key" \
    -out "$d/front-proxy-client.csr" -subj "/CN=front-proxy-client" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' \
    > "$d/front-proxy-client.ext"
  openssl x509 -req -in "$d/front-proxy-client.csr" -CA "$d/front-proxy-ca.crt" -CAkey "$d/front-proxy-ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$d/front-proxy-client.ext" -out "$d/front-proxy-client.crt" 2>/dev/null
  rm -f "$d/front-proxy-client.csr" "$d/front-proxy-client.ext"
  # Service-account token signing key.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/sa.key" 2>/dev/null
  openssl pkey -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

write_kubeconfig() { # write_kubeconfig <file> <server>
  local b64="base64 -w0"
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mailagent-test
  cluster:
    server: $2
    certificate-authority-data: $($b64 < "$PKI/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 < "$PKI/admin.crt")
    client-key-data: $($b64 < "$PKI/admin.key")
contexts:
- name: mailagent-test
  context:
    cluster: mailagent-test
    user: admin
    namespace: default
current-context: mailagent-test
EOF
  chmod 600 "$1"
}

# start <name> <binary> <args...>: detached, stdio to $STATE/<name>.log.
start() {
  local name="$1"; shift
  # fd 9 (the lock) must not leak into the daemons.
  setsid "$@" </dev/null >>"$STATE/$name.log" 2>&1 9>&- &
  echo $! > "$STATE/$name.pid"
}

# Runs in the start_plane subshell: stop what started, exit 75 on a port clash
# (the caller retries with other ports), 1 otherwise.
fail_with_log() { # fail_with_log <name> <message>
  log "$2; last lines of $STATE/$1.log:"
  tail -n 30 "$STATE/$1.log" >&2 || true
  MAILAGENT_LOCK_HELD=1 MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/down.sh" --keep-logs >&2 || true
  if grep -q 'address already in use' "$STATE/$1.log" 2>/dev/null; then exit 75; fi
  printf '[up] ERROR: %s (logs kept in %s)\n' "$2" "$STATE" >&2
  exit 1
}

# wait_for <name> <binary> <seconds> <command...>: until the command succeeds.
wait_for() {
  local name="$1" bin="$2" secs="$3"; shift 3
  local deadline=$(( SECONDS + secs ))
  until "$@" >/dev/null 2>&1; do
    pid_alive "$name" "$bin" || fail_with_log "$name" "$name exited during startup"
    (( SECONDS < deadline )) || fail_with_log "$name" "$name not ready after ${secs}s"
    sleep 0.5
  done
}

# Start etcd, kube-apiserver and kube-controller-manager on fresh free ports.
# Run in a subshell: a failure exits it with 75 (port clash) or 1.
start_plane() {
rm -f "$STATE"/*.log "$KUBECONFIG_OUT"
free_port ETCD_PORT; free_port ETCD_PEER_PORT; free_port API_PORT; free_port KCM_PORT
SERVER="https://127.0.0.1:$API_PORT"
echo "$SERVER" > "$STATE/server"
printf 'etcd=%s\netcd-peer=%s\nkube-apiserver=%s\nkube-controller-manager=%s\n' \
  "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" "$KCM_PORT" > "$STATE/ports"

# --- etcd ------------------------------------------------------------------------
log "etcd $ETCD_VERSION on 127.0.0.1:$ETCD_PORT"
rm -rf "$STATE/etcd"
start etcd "$ETCD" \
  --name=mailagent-test --data-dir="$STATE/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="mailagent-test=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new \
  --unsafe-no-fsync=true --log-level=warn
wait_for etcd "$ETCD" 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

# --- kube-apiserver -----------------------------------------------------------------
# With a node, pods reach the API server at the node IP (the "kubernetes"
# Service's endpoint, kept by the lease reconciler), and the API server
# reaches the kubelet (logs, exec) with the admin identity.
API_NET=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --endpoint-reconciler-type=none)
if [[ $WITH_NODE == 1 ]]; then
  API_NET=(--bind-address=0.0.0.0 --advertise-address="$NODE_IP" --endpoint-reconciler-type=lease
    --kubelet-client-certificate="$PKI/admin.crt" --kubelet-client-key="$PKI/admin.key"
    --kubelet-preferred-address-types=InternalIP)
fi
log "kube-apiserver $K8S_VERSION on $SERVER"
start kube-apiserver "$KUBE_APISERVER" \
  "${API_NET[@]}" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --secure-port="$API_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --authorization-mode=Node,RBAC \
  --allow-privileged=true \
  --profiling=false \
  --v="${MAILAGENT_APISERVER_V:-0}"
write_kubeconfig "$KUBECONFIG_OUT" "$SERVER"
wait_for kube-apiserver "$KUBE_APISERVER" "$READY_TIMEOUT" plane_ready

# --- kube-controller-manager -----------------------------------------------------------
log "kube-controller-manager on 127.0.0.1:$KCM_PORT"
KCM_KUBECONFIG="$STATE/controller-manager.kubeconfig"
write_kubeconfig "$KCM_KUBECONFIG" "$SERVER"
start kube-controller-manager "$KUBE_CONTROLLER_MANAGER" \
  --kubeconfig="$KCM_KUBECONFIG" \
  --authentication-kubeconfig="$KCM_KUBECONFIG" --authorization-kubeconfig="$KCM_KUBECONFIG" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$STATE/kcm-certs" \
  --leader-elect=false \
  --use-service-account-credentials=false \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --controllers='*' \
  --profiling=false \
  --v="${MAILAGENT_KCM_V:-0}"
wait_for kube-controller-manager "$KUBE_CONTROLLER_MANAGER" 60 \
  curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
# The service-account controller is running once "default" has its ServiceAccount.
wait_for kube-controller-manager "$KUBE_CONTROLLER_MANAGER" 60 \
  "$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" -n default get serviceaccount default

}

T0=$SECONDS
gen_pki
for attempt in 1 2 3; do
  # Not `( ... ) || rc=$?`: errexit would be off inside the subshell.
  set +e
  ( set -e; start_plane )
  rc=$?
  set -e
  [[ $rc == 0 ]] && break
  if [[ $rc == 75 && $attempt -lt 3 ]]; then
    log "port clash (address already in use): retrying with other ports"
    continue
  fi
  die "the control plane did not start (logs in $STATE)"
done
log "control plane ready in $((SECONDS - T0)) s; KUBECONFIG=$KUBECONFIG_OUT"
echo plane > "$STATE/mode"
if [[ $WITH_NODE == 1 ]]; then
  if ! MAILAGENT_LOCK_HELD=1 MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/node.sh" up; then
    log "the node did not start: stopping everything (logs kept in $STATE)"
    MAILAGENT_LOCK_HELD=1 MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/down.sh" --keep-logs >&2 || true
    die "the node did not start"
  fi
  echo node > "$STATE/mode"
fi
log "kubectl: $KUBECTL   helm: $HELM"
echo "MAILAGENT_CLUSTER=started $KUBECONFIG_OUT"
