#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository (part of `npm run lint`):
# the tracked *.sh files and every tracked file whose first line is a sh/bash
# shebang (docker/rootfs/usr/local/bin/*, .ci/run). Every severity counts.
# No shellcheck is a failure, not a skip: install it with
# `bash docker/host-tools.sh lint` (apt-get install shellcheck).
# Usage: scripts/shellcheck.sh [--list | FILE...]   (--list: print the scripts found)
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "shellcheck.sh: shellcheck is not installed; run: bash docker/host-tools.sh lint" >&2
  exit 1
fi


scripts=()
if [ $# -gt 0 ] && [ "$1" != --list ]; then
  scripts=("$@")
else
  while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue
    case $f in
      *.sh) scripts+=("$f") ;;
      *) if head -n 1 "$f" 2>/dev/null | grep -qE '^#!.*[/ ](ba|da)?sh([[:space:]]|$)'; then scripts+=("$f"); fi ;;
    esac
  done < <(git ls-files -z --cached --others --exclude-standard)
  if [ "${1:-}" = --list ]; then printf '%s\n' "${scripts[@]}"; exit 0; fi
fi

status=0
for f in "${scripts[@]}"; do
  shellcheck "$f" || status=1
done
echo "shellcheck.sh: ${#scripts[@]} scripts checked" >&2
exit "$status"
