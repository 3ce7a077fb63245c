#!/usr/bin/env bash
# The project's whole test run (README's test command: `npm test`).
# Runs the static checks, then each jest project on its own (so a project whose
# real component cannot start fails loudly without hiding the others), and ends
# with one line "N passed, N failed, N skipped" summing everything.
# Usage: npm test [-- PROJECT...]   (projects: unit e2e container node; default all)
set -uo pipefail
cd "$(dirname "$0")/.."
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
  bash docker/host-tools.sh podman test-clients || echo "   host tools could not be installed: the container suite will say why"
  if [ -z "${KUBECONFIG:-}" ]; then
    bash test/cluster/build.sh || echo "   control-plane build failed: the e2e suite will say why"
  fi
fi

check build npm run --silent build
check typecheck npx tsc --noEmit
check lint npx eslint .

for p in "${projects[@]}"; do
  echo "== jest: $p"
  npx jest --selectProjects "$p" --json --outputFile="$results/$p.json" 2>&1 | tee "$results/$p.log" | grep -vE '^\s*$' | grep -E '^(PASS|FAIL)|✕|●|Tests:|Error|error' | head -n 200
  counts=$(node -e '
    const fs = require("fs");
    let r; try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { r = null; }
    if (!r) { console.log("0 1 0 no-report"); process.exit(0); }
    // A suite that failed to run (global setup, import error) has no tests: count it as one failure.
    const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
    const none = r.numTotalTests === 0 ? 1 : 0;
    console.log(r.numPassedTests, r.numFailedTests + broken + none, r.numPendingTests + r.numTodoTests, none ? "no-tests" : "ok");
  ' "$results/$p.json")
  read -r p_pass p_fail p_skip note <<<"$counts"
  [ "$note" = ok ] || echo "   jest project $p did not run any test ($note): see $results/$p.log"
  echo "   $p: $p_pass passed, $p_fail failed, $p_skip skipped"
  passed=$((passed + p_pass)) failed=$((failed + p_fail)) skipped=$((skipped + p_skip))
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
