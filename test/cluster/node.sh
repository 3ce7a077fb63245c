#!/usr/bin/env bash
# The one node of the test cluster (up.sh --with-node): containerd + runc + CNI
# bridge, kubelet, kube-scheduler and kube-proxy (iptables mode), all as root
# on this machine, all state under $MAILAGENT_CLUSTER_DIR/node.
#
#   node.sh preflight           tools installed, binaries built, no other node on this machine
#   node.sh up                  start the node (the plane must be running; up.sh calls this)
#   node.sh down                stop it and undo everything it did to the machine (down.sh calls this)
#   node.sh load-images REF...  copy images from podman into the node's containerd
#   node.sh status              exit 0 when every node process runs
#
# What it touches outside the state directory, and undoes on `down`:
#   - the bridge mailagent0 (10.244.0.1/24; the node IP and the pods' gateway)
#     and the veths/network namespaces (/run/netns/cni-*) of its pods;
#   - the cgroup /mailagent-node in every cgroup v1 hierarchy (kubelet's
#     cgroupRoot: every pod lives below it);
#   - iptables: kube-proxy's KUBE-* chains (removed with `kube-proxy --cleanup`);
#     kubelet's own chains are off (makeIPTablesUtilChains: false) and the CNI
#     config adds none (no ipMasq, no portmap);
#   - the sysctls kubelet sets at start (vm.overcommit_memory, vm.panic_on_oom,
#     kernel.panic, kernel.panic_on_oops) and those kube-proxy may set: saved
#     before, restored after;
#   - /run/containerd/s/* (containerd-shim sockets, removed by the shims),
#     /var/log/containers/* (kubelet's symlinks into the state directory),
#     /var/lib/cni/results/mailagent-* (libcni's cache);
#   - /run/mailagent-node.owner: one node per machine (the bridge, the cgroup
#     and kube-proxy's iptables chains are machine-wide).
# Nothing else is left: `down` checks for processes, mounts, the bridge and
# iptables chains and fails loudly if one remains.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=versions.sh
source "$HERE/versions.sh"
STATE="${MAILAGENT_CLUSTER_DIR:-$ROOT/.cluster}"
STATE="$(mkdir -p "$STATE" && cd "$STATE" && pwd)"
N="$STATE/node"
PKI="$STATE/pki"
KUBECONFIG_OUT="$STATE/kubeconfig"

NODE_NAME="${MAILAGENT_NODE_NAME:-mailagent-node}"
BRIDGE=mailagent0
POD_SUBNET="${MAILAGENT_POD_SUBNET:-10.244.0.0/24}"
NODE_IP="${MAILAGENT_NODE_IP:-10.244.0.1}"        # the bridge's address, first of POD_SUBNET
CLUSTER_CIDR="${MAILAGENT_CLUSTER_CIDR:-10.244.0.0/16}"
CGROUP_NAME=mailagent-node
OWNER_FILE=/run/mailagent-node.owner
CNI_BIN_DIR="${MAILAGENT_CNI_BIN_DIR:-/usr/lib/cni}"
SOCK="$N/containerd.sock"
CONTAINERD="$(command -v containerd || echo /usr/bin/containerd)"
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.ipv4.ip_forward)
DEFAULT_IMAGES="localhost/mailagent:dev localhost/mailagent-operator:dev"
# Directories containerd, kubelet and libcni create at fixed places whatever
# their configuration (kubelet's device-plugin socket is always under
# /var/lib/kubelet): removed on `down` when the node made them and they hold
# nothing but sockets and empty directories.
FIXED_DIRS=(/run/containerd /var/lib/cni /var/log/containers /var/lib/kubelet)

log() { printf '[node %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[node] ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ helpers
pid_alive() { # pid_alive <name> <binary>
  local f="$N/$1.pid" pid exe
  [[ -s "$f" ]] || return 1
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ "${exe% (deleted)}" == "$(readlink -f "$2")" ]]
}

start() { # start <name> <binary> <args...>: detached, output to $N/<name>.log
  local name="$1"; shift
  setsid "$@" </dev/null >>"$N/$name.log" 2>&1 9>&- &
  echo $! > "$N/$name.pid"
}

running() { kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

stop() { # stop <name> <binary> [seconds]: TERM the recorded PID if it runs <binary>, then KILL
  local name="$1" bin f="$N/$1.pid" pid exe secs="${3:-15}"
  bin="$(readlink -f "$2" 2>/dev/null || echo "$2")"
  [[ -s "$f" ]] || return 0
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || { rm -f "$f"; return 0; }
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  if [[ -z "$exe" ]]; then
    :
  elif [[ "${exe% (deleted)}" != "$bin" ]]; then
    log "pid $pid is no longer $name ($exe): not touching it"
  else
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((secs * 10))); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then
      log "$name (pid $pid) still running after ${secs} s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    fi
    running "$pid" && { log "ERROR: $name (pid $pid) did not exit"; return 1; }
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

fail_with_log() { # fail_with_log <name> <message>
  log "$2; last lines of $N/$1.log:"
  tail -n 40 "$N/$1.log" >&2 || true
  die "$2 (logs in $N)"
}

wait_for() { # wait_for <name> <binary> <seconds> <command...>
  local name="$1" bin="$2" secs="$3"; shift 3
  local deadline=$(( SECONDS + secs ))
  until "$@" >/dev/null 2>&1; do
    pid_alive "$name" "$bin" || fail_with_log "$name" "$name exited during startup"
    (( SECONDS < deadline )) || fail_with_log "$name" "$name not ready after ${secs}s"
    sleep 0.5
  done
}

read -r EPH_LO EPH_HI < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { EPH_LO=32768; EPH_HI=60999; }
if (( EPH_LO > 12000 )); then PORT_LO=10000; PORT_HI=$(( EPH_LO - 1 )); else PORT_LO=$(( EPH_HI + 1 )); PORT_HI=65535; fi
declare -A TAKEN=()
free_port() { # free_port <var>
  local p
  for _ in $(seq 1 500); do
    p=$(( PORT_LO + (RANDOM * 32768 + RANDOM) % (PORT_HI - PORT_LO + 1) ))
    [[ -n "${TAKEN[$p]:-}" ]] && continue
    [[ -n "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]] && continue
    TAKEN[$p]=1; printf -v "$1" '%s' "$p"; return 0
  done
  die "no free port found in $PORT_LO-$PORT_HI"
}

kubectl_() { "$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" --request-timeout=10s "$@"; }
crictl_() { "$CRICTL" --runtime-endpoint "unix://$SOCK" --image-endpoint "unix://$SOCK" --timeout 30s "$@"; }
ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }

cgroup_dirs() { # the node's cgroup in every v1 hierarchy (existing ones)
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h$CGROUP_NAME" ]] && echo "$h$CGROUP_NAME"
  done
  return 0
}

# ------------------------------------------------------------------ host tools
ensure_tools() {
  [[ "$(id -u)" == 0 ]] || die "the node needs root (containerd, kubelet, iptables, cgroups)"
  local need=()
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [[ -x "$CNI_BIN_DIR/bridge" && -x "$CNI_BIN_DIR/host-local" && -x "$CNI_BIN_DIR/loopback" && -x "$CNI_BIN_DIR/portmap" ]] \
    || need+=(containernetworking-plugins)
  command -v iptables >/dev/null || need+=(iptables)
  command -v ip >/dev/null || need+=(iproute2)
  command -v ss >/dev/null || need+=(iproute2)
  if [[ ${#need[@]} -gt 0 ]]; then
    log "installing ${need[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
      apt-get update -qq || die "apt-get update failed"
      apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
    fi
  fi
  CONTAINERD="$(command -v containerd)"
  "$HERE/bin-path.sh" --check-node >/dev/null 2>&1 || {
    log "node binaries missing: running build.sh"
    "$HERE/build.sh" >&2 || die "build.sh failed"
  }
  [[ ${#SOCK} -lt 100 ]] || die "socket path $SOCK is too long for a unix socket: use a shorter MAILAGENT_CLUSTER_DIR"
}

# ------------------------------------------------------------------ up
write_node_pki() {
  local d="$PKI"
  nsign() { # nsign <name> <subject> <extensions>
    openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$d/$1.key" -out "$d/$1.csr" -subj "$2" 2>/dev/null
    printf '%s\n' "$3" > "$d/$1.ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 3650 -sha256 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
    rm -f "$d/$1.csr" "$d/$1.ext"
  }
  # The kubelet's client identity (Node authorizer: system:node:<name> in system:nodes).
  nsign kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  nsign kubelet-serving "/CN=$NODE_NAME" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME,DNS:localhost"
  nsign kube-proxy "/CN=system:kube-proxy" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  nsign kube-scheduler "/CN=system:kube-scheduler" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
}

write_kubeconfig() { # write_kubeconfig <file> <cert name>
  local b64="base64 -w0"
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mailagent-test
  cluster:
    server: $(<"$STATE/server")
    certificate-authority-data: $($b64 < "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 < "$PKI/$2.crt")
    client-key-data: $($b64 < "$PKI/$2.key")
contexts:
- name: default
  context: {cluster: mailagent-test, user: $2}
current-context: default
EOF
  chmod 600 "$1"
}

# Create the bridge before anything: it carries the node IP, which the API
# server advertises (pods reach it through the "kubernetes" Service).
ensure_bridge() {
  if ip link show "$BRIDGE" >/dev/null 2>&1; then return 0; fi
  local prefix="${POD_SUBNET#*/}"
  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/$prefix" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

# Fails when another state directory's node runs on this machine.
check_machine_free() {
  [[ -s "$OWNER_FILE" ]] || return 0
  local other; other="$(<"$OWNER_FILE")"
  [[ "$other" != "$STATE" && -d "$other/node" ]] || return 0
  if MAILAGENT_CLUSTER_DIR="$other" "$0" status >/dev/null 2>&1; then
    die "another test node runs on this machine (state in $other); stop it first: MAILAGENT_CLUSTER_DIR=$other $HERE/down.sh"
  fi
}

claim_machine() {
  mkdir -p "$N"
  check_machine_free
  if [[ -s "$OWNER_FILE" ]]; then
    local other; other="$(<"$OWNER_FILE")"
    if [[ "$other" != "$STATE" ]]; then
      log "a node from $other did not stop cleanly: cleaning up after it"
      MAILAGENT_CLUSTER_DIR="$other" "$0" down >&2 || die "could not clean up the node of $other"
    fi
  fi
  echo "$STATE" > "$OWNER_FILE"
}

save_sysctls() {
  [[ -f "$N/kube-chains.before" ]] || kube_chains_list > "$N/kube-chains.before"
  if [[ ! -f "$N/dirs.created" ]]; then
    local d
    for d in "${FIXED_DIRS[@]}"; do [[ -e "$d" ]] || echo "$d"; done > "$N/dirs.created"
  fi
  [[ -s "$N/sysctl.saved" ]] && return 0
  local k v
  for k in "${SYSCTLS[@]}"; do
    v="$(sysctl -n "$k" 2>/dev/null)" && echo "$k=$v"
  done > "$N/sysctl.saved.tmp"
  mv "$N/sysctl.saved.tmp" "$N/sysctl.saved"
}

make_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h" ]] || continue
    # Only v1 hierarchies (the unified v2 mount of a hybrid setup is not used by kubelet here).
    [[ "$(stat -f -c %T "$h")" == cgroupfs ]] || continue
    mkdir -p "$h$CGROUP_NAME"
    if [[ -f "$h/cpuset.cpus" ]]; then
      [[ -n "$(<"$h$CGROUP_NAME/cpuset.cpus")" ]] || cat "$h/cpuset.cpus" > "$h$CGROUP_NAME/cpuset.cpus"
      [[ -n "$(<"$h$CGROUP_NAME/cpuset.mems")" ]] || cat "$h/cpuset.mems" > "$h$CGROUP_NAME/cpuset.mems"
    fi
  done
}

write_configs() {
  mkdir -p "$N/containerd" "$N/cni/net.d" "$N/cni/ipam" "$N/kubelet" "$N/pod-logs"
  cat > "$N/containerd/config.toml" <<EOF
# Generated by test/cluster/node.sh. Everything under $N.
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$N/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: it cannot lower oom_score_adj (the pause
  # container asks for -998); clamp to what the runtime itself has.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$N/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$N/cni/net.d"
    max_conf_num = 1
EOF
  # No ipMasq (pods need no way out: the agents never relay) and no portmap
  # (no hostPort): the pod network adds no iptables rules of its own.
  cat > "$N/cni/net.d/10-mailagent.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mailagent",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_SUBNET", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$N/cni/ipam"
      }
    }
  ]
}
EOF
  write_kubeconfig "$N/kubelet.kubeconfig" kubelet-client
  write_kubeconfig "$N/kube-proxy.kubeconfig" kube-proxy
  write_kubeconfig "$N/kube-scheduler.kubeconfig" kube-scheduler
  cat > "$N/kubelet.yaml" <<EOF
# Generated by test/cluster/node.sh.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
rotateCertificates: false
serverTLSBootstrap: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
# cgroup v1 (hybrid), no systemd.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_NAME
cgroupsPerQOS: true
failSwapOn: false
containerRuntimeEndpoint: unix://$SOCK
imageServiceEndpoint: unix://$SOCK
runtimeRequestTimeout: 2m
serializeImagePulls: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# root cannot lower oom_score_adj here (no CAP_SYS_RESOURCE): keep kubelet's own.
oomScoreAdj: 0
# Machine-wide side effects off: no KUBE-FIREWALL/canary chains.
makeIPTablesUtilChains: false
# A test node on a shared disk: never evict or garbage-collect images for disk usage.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
podLogsDir: $N/pod-logs
volumePluginDir: $N/kubelet/volume-plugins
maxPods: 110
registerNode: true
shutdownGracePeriod: 0s
EOF
  cat > "$N/kube-proxy.yaml" <<EOF
# Generated by test/cluster/node.sh.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $N/kube-proxy.kubeconfig
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $CLUSTER_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
# NodePorts on the node IP only, never on 127.0.0.1 (no route_localnet).
nodePortAddresses: ["primary"]
iptables:
  localhostNodePorts: false
  masqueradeAll: false
# Leave the machine's conntrack settings and oom_score_adj alone.
oomScoreAdj: 0
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
  udpTimeout: 0s
  udpStreamTimeout: 0s
EOF
}

import_archive() { # import_archive <docker-archive file or -> <ref>
  ctr_ images import "$1" >/dev/null 2>"$N/import.err" || {
    cat "$N/import.err" >&2; die "ctr images import $2 failed"; }
}

load_images() { # load_images REF...: podman -> containerd, skipped when already there
  local ref id have
  command -v podman >/dev/null || die "podman is needed to load images into the node"
  export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/docker/containers.conf}"
  for ref in "$@"; do
    id="$(podman image inspect --format '{{.Id}}' "$ref" 2>/dev/null)" || die "image $ref is not in podman (build it first)"
    have="$(crictl_ inspecti -o go-template --template '{{.status.id}}' "$ref" 2>/dev/null || true)"
    if [[ "$have" == "sha256:$id" ]]; then
      log "image $ref already in the node"
      continue
    fi
    log "loading image $ref into the node"
    podman save --format docker-archive "$ref" 2>/dev/null | ctr_ images import - >/dev/null \
      || die "podman save $ref | ctr images import failed"
  done
}

node_up() {
  ensure_tools
  claim_machine
  mkdir -p "$N"
  [[ -s "$STATE/server" && -s "$PKI/ca.key" ]] || die "no control plane in $STATE (start it with up.sh --with-node)"
  local t0=$SECONDS
  save_sysctls
  ensure_bridge
  make_cgroups
  free_port KUBELET_PORT; free_port KUBELET_HEALTHZ_PORT; free_port SCHED_PORT
  free_port PROXY_HEALTHZ_PORT; free_port PROXY_METRICS_PORT
  printf 'kubelet=%s\nkubelet-healthz=%s\nkube-scheduler=%s\nkube-proxy-healthz=%s\nkube-proxy-metrics=%s\n' \
    "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT" "$SCHED_PORT" "$PROXY_HEALTHZ_PORT" "$PROXY_METRICS_PORT" > "$N/ports"
  write_node_pki
  write_configs

  log "containerd $("$CONTAINERD" --version | awk '{print $3}') (socket $SOCK)"
  start containerd "$CONTAINERD" --config "$N/containerd/config.toml" --log-level warn
  wait_for containerd "$CONTAINERD" 30 ctr --address "$SOCK" version
  wait_for containerd "$CONTAINERD" 30 crictl_ info
  import_archive "$PAUSE_ARCHIVE" "$PAUSE_IMAGE"
  local images=() ref
  for ref in ${MAILAGENT_NODE_IMAGES-$DEFAULT_IMAGES}; do
    if podman image exists "$ref" 2>/dev/null; then images+=("$ref")
    else log "image $ref not built yet (podman): not loaded; load it later with node.sh load-images"; fi
  done
  [[ ${#images[@]} -eq 0 ]] || load_images "${images[@]}"

  log "kube-scheduler on 127.0.0.1:$SCHED_PORT"
  start kube-scheduler "$KUBE_SCHEDULER" \
    --kubeconfig="$N/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$N/kube-scheduler.kubeconfig" --authorization-kubeconfig="$N/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false --profiling=false \
    --v="${MAILAGENT_SCHEDULER_V:-0}"

  log "kube-proxy (iptables)"
  start kube-proxy "$KUBE_PROXY" --config="$N/kube-proxy.yaml" --v="${MAILAGENT_PROXY_V:-0}"

  log "kubelet $K8S_VERSION as node $NODE_NAME ($NODE_IP, port $KUBELET_PORT)"
  start kubelet "$KUBELET" \
    --config="$N/kubelet.yaml" --kubeconfig="$N/kubelet.kubeconfig" \
    --root-dir="$N/kubelet" --cert-dir="$N/kubelet/pki" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
    --v="${MAILAGENT_KUBELET_V:-1}"

  wait_for kube-scheduler "$KUBE_SCHEDULER" 60 curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz"
  wait_for kube-proxy "$KUBE_PROXY" 60 curl -fsS "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
  wait_for kubelet "$KUBELET" 60 curl -fsS "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
  wait_for kubelet "$KUBELET" 120 node_ready
  log "node $NODE_NAME ready in $((SECONDS - t0)) s"
}

node_ready() {
  [[ "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

node_status() {
  pid_alive containerd "$CONTAINERD" && pid_alive kubelet "$KUBELET" \
    && pid_alive kube-scheduler "$KUBE_SCHEDULER" && pid_alive kube-proxy "$KUBE_PROXY"
}

# ------------------------------------------------------------------ down
# Mount points under a directory, deepest first.
mounts_under() {
  awk -v d="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' /proc/self/mountinfo \
    | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2-
}

# The network namespaces of our pods: /run/netns/cni-* whose eth0's peer is on our bridge.
our_netns() {
  local ns link peer
  for ns in /run/netns/cni-*; do
    [[ -e "$ns" ]] || continue
    link="$(ip -n "$(basename "$ns")" -o link show eth0 2>/dev/null || true)"
    if [[ -z "$link" ]]; then
      # No eth0 (half torn down): ours if containerd's state says so.
      grep -rqs "$(basename "$ns")" "$N/containerd" 2>/dev/null && echo "$ns"
      continue
    fi
    peer="$(sed -n 's/.*eth0@if\([0-9]*\).*/\1/p' <<<"$link")"
    [[ -n "$peer" ]] || continue
    local dev
    for dev in /sys/class/net/*; do
      [[ "$(cat "$dev/ifindex" 2>/dev/null)" == "$peer" ]] || continue
      [[ "$(basename "$(readlink -f "$dev/master" 2>/dev/null)")" == "$BRIDGE" ]] && echo "$ns"
    done
  done
  return 0
}

kube_chains() { # true if KUBE-* chains exist (IPv4 or IPv6) that were not there before the node; -v lists them
  local out before=""
  [[ -f "$N/kube-chains.before" ]] && before="$(<"$N/kube-chains.before")"
  out="$(kube_chains_list | grep -vxF -f <(printf '%s\n' "$before") || true)"
  [[ "${1:-}" == -v ]] && echo "$out"
  [[ -n "$out" ]]
}

# Remove KUBE-* chains that were not there before the node started (kube-proxy
# --cleanup leaves KUBE-FIREWALL, which it shares with kubelet in other setups):
# first the rules that jump to them, then the chains.
remove_kube_chains() {
  local fam table chain rule before="" 
  [[ -f "$N/kube-chains.before" ]] && before="$(<"$N/kube-chains.before")"
  for fam in iptables ip6tables; do
    command -v "$fam" >/dev/null || continue
    for table in filter nat mangle raw; do
      local chains
      chains="$("$fam" -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\).*/\1/p')"
      [[ -n "$chains" ]] || continue
      for chain in $chains; do
        grep -qx "$fam $table $chain" <<<"$before" && continue
        while read -r rule; do
          [[ -n "$rule" ]] || continue
          # shellcheck disable=SC2086  # a rule as iptables -S prints it
          eval "$fam -t $table ${rule/-A /-D }" 2>/dev/null || true
        done < <("$fam" -t "$table" -S 2>/dev/null | grep -E -- "-j $chain( |\$)")
        "$fam" -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $chains; do
        grep -qx "$fam $table $chain" <<<"$before" && continue
        "$fam" -t "$table" -X "$chain" 2>/dev/null || log "could not delete $fam -t $table chain $chain"
      done
    done
  done
}

kube_chains_list() { # "<iptables|ip6tables> <table> <chain>" lines
  local fam table
  for fam in iptables ip6tables; do
    command -v "$fam" >/dev/null || continue
    for table in filter nat mangle raw; do
      "$fam" -t "$table" -S 2>/dev/null | sed -n "s/^-N \(KUBE-[^ ]*\).*/$fam $table \1/p"
    done
  done
}

cgroup_pids() {
  local d
  while read -r d; do
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done < <(cgroup_dirs) | sort -u
}

node_down() {
  [[ -d "$N" ]] || return 0
  local rc=0
  # 1. kubelet first, so that nothing restarts the pods.
  stop kubelet "$KUBELET" 30 || rc=1
  # 2. Pods down through the CRI: CNI DEL (veth, IP), network namespaces, mounts.
  if pid_alive containerd "$CONTAINERD"; then
    local pods
    pods="$(crictl_ pods -q 2>/dev/null || true)"
    if [[ -n "$pods" ]]; then
      log "removing $(wc -w <<<"$pods") pod sandbox(es)"
      # shellcheck disable=SC2086
      crictl_ stopp $pods >/dev/null 2>&1 || true
      # shellcheck disable=SC2086
      crictl_ rmp -f $pods >/dev/null 2>&1 || true
    fi
  fi
  # 3. kube-proxy, then its iptables rules.
  stop kube-proxy "$KUBE_PROXY" || rc=1
  if [[ -x "$KUBE_PROXY" ]] && kube_chains; then
    log "kube-proxy --cleanup (iptables)"
    "$KUBE_PROXY" --cleanup --v=0 >>"$N/kube-proxy-cleanup.log" 2>&1 || true
  fi
  kube_chains && remove_kube_chains
  stop kube-scheduler "$KUBE_SCHEDULER" || rc=1
  stop containerd "$CONTAINERD" 20 || rc=1
  # 4. Whatever survived: shims of our containerd, processes in our cgroups.
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" 2>/dev/null || true); do
    log "killing leftover shim $pid"; kill -KILL "$pid" 2>/dev/null || true
  done
  for _ in 1 2 3 4 5; do
    local left; left="$(cgroup_pids)"
    [[ -z "$left" ]] && break
    log "killing leftover pod processes: $(tr '\n' ' ' <<<"$left")"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    sleep 0.5
  done
  # 5. Network namespaces, mounts, bridge, cgroups.
  local ns
  for ns in $(our_netns); do
    log "removing network namespace $ns"
    umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  local m
  while read -r m; do
    [[ -n "$m" ]] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || { log "ERROR: cannot unmount $m"; rc=1; }
  done < <(mounts_under "$N")
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "deleting bridge $BRIDGE"
    ip link del "$BRIDGE" || rc=1
  fi
  local d
  while read -r d; do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [[ -d "$d" ]] && { log "ERROR: cgroup $d still in use"; rc=1; }
  done < <(cgroup_dirs)
  # 6. Sysctls back as they were.
  if [[ -s "$N/sysctl.saved" ]]; then
    local kv k v
    while read -r kv; do
      k="${kv%%=*}"; v="${kv#*=}"
      [[ "$(sysctl -n "$k" 2>/dev/null)" == "$v" ]] || { log "restoring $k=$v"; sysctl -qw "$k=$v" || true; }
    done < "$N/sysctl.saved"
  fi
  # 7. Files kubelet and libcni leave outside the state directory.
  local l
  for l in /var/log/containers/*.log; do
    [[ -L "$l" && "$(readlink "$l")" == "$N/"* ]] && rm -f "$l"
  done
  # libcni's cache: <network>-<sandbox id>-<ifname> (our network, and the
  # loopback one containerd adds to every sandbox).
  rm -f /var/lib/cni/results/mailagent-* 2>/dev/null || true
  local sb
  for sb in "$N"/containerd/{root,state}/io.containerd.grpc.v1.cri/sandboxes/*; do
    [[ -d "$sb" ]] && rm -f /var/lib/cni/results/*-"$(basename "$sb")"-*
  done
  if [[ -f "$N/dirs.created" ]]; then
    local cd
    while read -r cd; do
      [[ -d "$cd" ]] || continue
      find "$cd" -depth \( -type s -o -type d -empty \) -delete 2>/dev/null || true
      [[ -e "$cd" ]] && log "note: $cd (made by the node) is not empty: left in place"
    done < "$N/dirs.created"
  fi
  # 8. Check: nothing of ours may remain.
  [[ -z "$(mounts_under "$N")" ]] || { log "ERROR: mounts remain under $N"; rc=1; }
  if kube_chains; then log "ERROR: KUBE-* iptables chains remain: $(kube_chains -v | tr '\n' ' ')"; rc=1; fi
  [[ -z "$(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" 2>/dev/null || true)" ]] || { log "ERROR: shims remain"; rc=1; }
  if [[ $rc == 0 ]]; then
    [[ -s "$OWNER_FILE" && "$(<"$OWNER_FILE")" == "$STATE" ]] && rm -f "$OWNER_FILE"
    # Keep the logs beside the plane's (down.sh --keep-logs keeps them).
    local f
    for f in "$N"/*.log; do [[ -e "$f" ]] && mv -f "$f" "$STATE/node-$(basename "$f")"; done
    # Safe now: no mount remains below (rm never crosses into another file system).
    rm -rf --one-file-system "$N"
    log "node stopped and cleaned up"
  fi
  return $rc
}

# ------------------------------------------------------------------ main
KUBELET_PORT="" KUBELET_HEALTHZ_PORT="" SCHED_PORT="" PROXY_HEALTHZ_PORT="" PROXY_METRICS_PORT=""
case "${1:-}" in
  preflight) ensure_tools; check_machine_free ;;   # up.sh, before it starts the plane
  up) node_up ;;
  down) node_down ;;
  status) node_status ;;
  load-images)
    shift
    # shellcheck disable=SC2086  # a space-separated list
    [[ $# -gt 0 ]] || set -- $DEFAULT_IMAGES
    load_images "$@" ;;
  *) echo "usage: $0 up|down|status|load-images [REF...]" >&2; exit 2 ;;
esac
