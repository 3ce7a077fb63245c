#!/usr/bin/env bash
# Where the test control plane's binaries live (they may not be built yet:
# test/cluster/build.sh builds them).
#
#   test/cluster/bin-path.sh            -> "<k8s dir>:<etcd dir>:<helm dir>" (for PATH)
#   test/cluster/bin-path.sh kubectl    -> absolute path of one binary
#                                          (kubectl helm helm3 etcd kube-apiserver kube-controller-manager)
#   test/cluster/bin-path.sh --check    -> like no argument, exit 1 if a binary is missing
#   test/cluster/bin-path.sh --check-node -> the same for the node's binaries too
#                                          (kubelet kube-scheduler kube-proxy crictl pause)
#   test/cluster/bin-path.sh --env      -> MAILAGENT_KUBECTL=... lines (eval-able)
#
# e.g.  PATH="$(test/cluster/bin-path.sh):$PATH" kubectl version
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$HERE/versions.sh"

case "${1:-}" in
  "") echo "$K8S_BIN_DIR:$ETCD_BIN_DIR:$HELM_BIN_DIR" ;;
  --check)
    rc=0
    for b in "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER" "$KUBECTL" "$ETCD" "$HELM" "$HELM3"; do
      [[ -x "$b" ]] || { echo "missing: $b" >&2; rc=1; }
    done
    echo "$K8S_BIN_DIR:$ETCD_BIN_DIR:$HELM_BIN_DIR"
    exit $rc ;;
  --check-node)
    rc=0
    for b in "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER" "$KUBECTL" "$ETCD" "$HELM" "$HELM3" \
        "$KUBELET" "$KUBE_SCHEDULER" "$KUBE_PROXY" "$CRICTL" "$PAUSE_BIN"; do
      [[ -x "$b" ]] || { echo "missing: $b" >&2; rc=1; }
    done
    [[ -s "$PAUSE_ARCHIVE" ]] || { echo "missing: $PAUSE_ARCHIVE" >&2; rc=1; }
    echo "$K8S_BIN_DIR:$ETCD_BIN_DIR:$HELM_BIN_DIR:$CRICTL_BIN_DIR"
    exit $rc ;;
  --env)
    printf 'MAILAGENT_KUBECTL=%q\nMAILAGENT_HELM=%q\nMAILAGENT_HELM3=%q\nMAILAGENT_ETCD=%q\nMAILAGENT_KUBE_APISERVER=%q\nMAILAGENT_KUBE_CONTROLLER_MANAGER=%q\n' \
      "$KUBECTL" "$HELM" "$HELM3" "$ETCD" "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER" ;;
  kubectl) echo "$KUBECTL" ;;
  helm) echo "$HELM" ;;
  helm3) echo "$HELM3" ;;
  etcd) echo "$ETCD" ;;
  kube-apiserver) echo "$KUBE_APISERVER" ;;
  kube-controller-manager) echo "$KUBE_CONTROLLER_MANAGER" ;;
  kubelet) echo "$KUBELET" ;;
  kube-scheduler) echo "$KUBE_SCHEDULER" ;;
  kube-proxy) echo "$KUBE_PROXY" ;;
  crictl) echo "$CRICTL" ;;
  *) echo "usage: $0 [--check|--check-node|--env|kubectl|helm|helm3|etcd|kube-apiserver|kube-controller-manager|kubelet|kube-scheduler|kube-proxy|crictl]" >&2; exit 2 ;;
esac
