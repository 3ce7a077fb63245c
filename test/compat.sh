#!/usr/bin/env bash
# Compatibility run (`npm run test:compat`): the e2e suite (CRD, CEL messages,
# explain, printer columns, operator, deployer, charts with Helm 4 and Helm 3)
# on the oldest supported Kubernetes, 1.35, with the etcd it pairs with.
# `npm test` stays on the current release (test/cluster/versions.sh).
#
# Its own control plane directory (.cluster-compat) and report directory
# (test-results-compat), so it never touches the default plane or results.
# Binaries are built once into the same cache (~/.cache/local-mail-agent/bin/
# k8s-v1.35.4, etcd-v3.6.16), control plane only: no node binaries.
#
# Environment: MAILAGENT_COMPAT_K8S_VERSION, MAILAGENT_COMPAT_ETCD_VERSION.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# Kubernetes 1.35's go.mod requires etcd 3.6 (client v3.6.x); 3.6.16 is the
# newest 3.6 patch the Go module proxy serves.
export MAILAGENT_K8S_VERSION="${MAILAGENT_COMPAT_K8S_VERSION:-v1.35.4}"
export MAILAGENT_ETCD_VERSION="${MAILAGENT_COMPAT_ETCD_VERSION:-v3.6.16}"
export MAILAGENT_CLUSTER_DIR="${MAILAGENT_CLUSTER_DIR:-$PWD/.cluster-compat}"
export MAILAGENT_TEST_RESULTS=test-results-compat
# The plane of this run, never one named by the caller's KUBECONFIG.
unset KUBECONFIG MAILAGENT_KUBECTL MAILAGENT_HELM MAILAGENT_HELM3
# shellcheck source=node-env.sh
source test/node-env.sh || exit 1
echo "== compat: Kubernetes $MAILAGENT_K8S_VERSION, etcd $MAILAGENT_ETCD_VERSION (build once, cached)"
bash test/cluster/build.sh --plane || { echo "compat: building the $MAILAGENT_K8S_VERSION control plane failed"; exit 1; }
MAILAGENT_SKIP_SETUP=1 bash test/run-all.sh e2e
