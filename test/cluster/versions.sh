# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the other scripts
# Pinned versions and cache locations of the test control plane.
# Sourced by build.sh, bin-path.sh, up.sh and down.sh (bash).
# Latest patches the Go module proxy serves (checked 2026-12):
#   k8s.io/kubernetes v1.37.2 (staging modules k8s.io/* v0.37.2)
#   go.etcd.io/etcd/server/v3 v3.7.3 (k8s 1.37's go.mod requires etcd 3.7)
#   helm.sh/helm/v4 v4.3.2 (the chart tests' helm; installs apply server-side)
#   helm.sh/helm/v3 v3.21.4 (one lint + install for Helm 3 users; v3.22.0 is
#   served but marked not approved)
#   sigs.k8s.io/cri-tools v1.37.0 (crictl, for the node: the CRI client that
#   tears pods down cleanly)
K8S_VERSION="${MAILAGENT_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${MAILAGENT_ETCD_VERSION:-v3.7.3}"
HELM_VERSION="${MAILAGENT_HELM_VERSION:-v4.3.2}"
HELM3_VERSION="${MAILAGENT_HELM3_VERSION:-v3.21.4}"
CRICTL_VERSION="${MAILAGENT_CRICTL_VERSION:-v1.37.0}"
# The sandbox ("pause") image of the node: a tiny static Go binary built here,
# packed into a docker-archive by build.sh (no registry).
PAUSE_VERSION=1
PAUSE_IMAGE="localhost/mailagent-pause:$PAUSE_VERSION"

MAILAGENT_CACHE_DIR="${MAILAGENT_CACHE_DIR:-$HOME/.cache/local-mail-agent}"
K8S_BIN_DIR="$MAILAGENT_CACHE_DIR/bin/k8s-$K8S_VERSION"
ETCD_BIN_DIR="$MAILAGENT_CACHE_DIR/bin/etcd-$ETCD_VERSION"
HELM_BIN_DIR="$MAILAGENT_CACHE_DIR/bin/helm-$HELM_VERSION"
HELM3_BIN_DIR="$MAILAGENT_CACHE_DIR/bin/helm-$HELM3_VERSION"
CRICTL_BIN_DIR="$MAILAGENT_CACHE_DIR/bin/crictl-$CRICTL_VERSION"
PAUSE_DIR="$MAILAGENT_CACHE_DIR/bin/pause-$PAUSE_VERSION"

KUBE_APISERVER="$K8S_BIN_DIR/kube-apiserver"
KUBE_CONTROLLER_MANAGER="$K8S_BIN_DIR/kube-controller-manager"
KUBECTL="$K8S_BIN_DIR/kubectl"
ETCD="$ETCD_BIN_DIR/etcd"
HELM="$HELM_BIN_DIR/helm"
HELM3="$HELM3_BIN_DIR/helm"
# The node (up.sh --with-node).
KUBELET="$K8S_BIN_DIR/kubelet"
KUBE_SCHEDULER="$K8S_BIN_DIR/kube-scheduler"
KUBE_PROXY="$K8S_BIN_DIR/kube-proxy"
CRICTL="$CRICTL_BIN_DIR/crictl"
PAUSE_BIN="$PAUSE_DIR/pause"
PAUSE_ARCHIVE="$PAUSE_DIR/pause-image.tar"   # docker-archive of $PAUSE_IMAGE
