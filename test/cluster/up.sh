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
if [[ -x "$KUBECTL" ]] && all_alive && plane_ready; then
  log "control plane already running ($(<"$STATE/server")), reusing it"
  echo "MAILAGENT_CLUSTER=reused $KUBECONFIG_OUT"
  exit 0
fi
if compgen -G "$STATE/*.pid" >/dev/null; then
  log "stale or partial control plane in $STATE: stopping it first"
  flock -u 9
  MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/down.sh" >&2
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 600 9 || die "timed out waiting for the lock on $STATE/.lock"
fi

# --- binaries ----------------------------------------------------------------
if ! "$HERE/bin-path.sh" --check >/dev/null 2>&1; then
  log "binaries missing under $MAILAGENT_CACHE_DIR/bin: running build.sh (takes long the first time)"
  "$HERE/build.sh" >&2 || die "build.sh failed"
fi
for t in openssl flock; do command -v "$t" >/dev/null || die "$t is required"; done

# --- free ports ---------------------------------------------------------------
declare -A TAKEN=()
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    [[ -n "${TAKEN[$p]:-}" ]] && continue
    # A connect that succeeds means something listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      TAKEN[$p]=1; echo "$p"; return 0
    fi
  done
  die "no free port found"
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
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
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

fail_with_log() { # fail_with_log <name> <message>
  log "$2; last lines of $STATE/$1.log:"
  tail -n 30 "$STATE/$1.log" >&2 || true
  flock -u 9
  MAILAGENT_CLUSTER_DIR="$STATE" "$HERE/down.sh" --keep-logs >&2 || true
  die "$2 (logs kept in $STATE)"
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

T0=$SECONDS
rm -f "$STATE"/*.log "$KUBECONFIG_OUT"
gen_pki
ETCD_PORT="$(free_port)"; ETCD_PEER_PORT="$(free_port)"
API_PORT="$(free_port)"; KCM_PORT="$(free_port)"
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
log "kube-apiserver $K8S_VERSION on $SERVER"
start kube-apiserver "$KUBE_APISERVER" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
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
  --endpoint-reconciler-type=none \
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

log "control plane ready in $((SECONDS - T0)) s; KUBECONFIG=$KUBECONFIG_OUT"
log "kubectl: $KUBECTL   helm: $HELM"
echo "MAILAGENT_CLUSTER=started $KUBECONFIG_OUT"
