#!/usr/bin/env bash
# The project's whole test run (README's test command: `npm test`).
# Runs the static checks, then each jest project on its own (so a project whose
# real component cannot start fails loudly without hiding the others), and ends
# with one line "N passed, N failed, N skipped" summing everything; any failure
# or skipped test makes it exit non-zero.
# Usage: npm test [-- PROJECT...]   (projects: unit e2e container node; default all)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# Node.js >= 22.19 (24 LTS from the npm registry, cached, when the host's is
# older) first on PATH, and node_modules installed by it.
# shellcheck source=node-env.sh
source test/node-env.sh || { echo "no usable Node.js: see the node-env lines above"; exit 1; }
mailagent_node_ci || { echo "npm ci with Node.js $(node --version) failed"; exit 1; }
echo "== Node.js $(node --version) ($MAILAGENT_NODE_BIN)"
export NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning'
# MAILAGENT_TEST_RESULTS: where the logs and jest reports go (test/compat.sh uses its own).
results=${MAILAGENT_TEST_RESULTS:-test-results}
rm -rf "$results" && mkdir -p "$results"
projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=(unit container e2e node)

passed=0 failed=0 skipped=0
check() { # name, command...: a static check counts as one test
  local name=$1; shift
  echo "== $name"
  if "$@" >"$results/$name.log" 2>&1; then passed=$((passed + 1)); echo "   ok"
  else failed=$((failed + 1)); echo "   FAILED:"; tail -n 40 "$results/$name.log" | sed 's/^/   /'; fi
}

# What the suites need on a fresh machine; each step is a no-op when done before.
if [ -z "${MAILAGENT_SKIP_SETUP:-}" ]; then
  echo "== setup: host tools (apt, only what is missing), control-plane binaries (cached)"
  bash docker/host-tools.sh podman test-clients lint || echo "   host tools could not be installed: the container suite will say why"
  if [ -z "${KUBECONFIG:-}" ]; then
    bash test/cluster/build.sh || echo "   control-plane build failed: the e2e suite will say why"
  fi
fi

check build npm run --silent build
check typecheck npx tsc --noEmit
check lint npm run --silent lint

# Each project is counted by test/count-jest.mjs from jest's whole report and exit status:
# a failing hook or a suite that cannot load fails the run even with no failed test,
# and skipped or todo tests fail it too (suites never skip).
for p in "${projects[@]}"; do
  echo "== jest: $p"
  # awk, not head: the pipe must stay open until jest ends, or jest dies of SIGPIPE.
  npx jest --selectProjects "$p" --json --outputFile="$results/$p.json" 2>&1 | tee "$results/$p.log" | grep -vE '^\s*$' | grep -E '^(PASS|FAIL)|✕|●|Tests:|Error|error' | awk 'NR <= 200'
  jest_status=${PIPESTATUS[0]}
  { read -r p_pass p_fail p_skip; mapfile -t problems; } < <(node test/count-jest.mjs "$results/$p.json" "$jest_status")
  if [ -z "${p_skip:-}" ]; then p_pass=0 p_fail=1 p_skip=0; problems=("test/count-jest.mjs could not count the run"); fi
  for problem in "${problems[@]}"; do echo "   $p: $problem"; done
  [ ${#problems[@]} -eq 0 ] || echo "   $p: see $results/$p.log"
  echo "   $p: $p_pass passed, $p_fail failed, $p_skip skipped"
  passed=$((passed + p_pass)) failed=$((failed + p_fail)) skipped=$((skipped + p_skip))
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
