#!/usr/bin/env bash
# shellcheck disable=SC2317  # the peer functions are called by name ("$peer" below)
# Install the peers bench/peers-bench.mjs measures us against, pinned, into
# ${MAILAGENT_CACHE_DIR:-~/.cache/local-mail-agent}/peers (a no-op when there):
#   MailDev    npm install maildev@$MAILDEV_VERSION       -> peers/maildev/node_modules
#   Mailpit    go install github.com/axllent/mailpit@...  -> peers/go/bin/mailpit
#   GreenMail  mvn dependency:get greenmail-standalone    -> peers/greenmail/*.jar
# A peer that cannot be installed is reported and skipped (exit 0): the bench
# then prints a row saying why, as the issue asks. Usage: install-peers.sh [maildev|mailpit|greenmail]...
set -uo pipefail

MAILDEV_VERSION=${MAILDEV_VERSION:-3.0.0}
MAILPIT_VERSION=${MAILPIT_VERSION:-v1.33.1}
GREENMAIL_VERSION=${GREENMAIL_VERSION:-2.1.3}
peers=${MAILAGENT_CACHE_DIR:-$HOME/.cache/local-mail-agent}/peers
mkdir -p "$peers"
say() { echo "install-peers: $*" >&2; }

maildev() {
  local dir=$peers/maildev
  [ -f "$dir/node_modules/maildev/package.json" ] &&
    grep -q "\"version\": \"$MAILDEV_VERSION\"" "$dir/node_modules/maildev/package.json" && return 0
  say "MailDev $MAILDEV_VERSION (npm)"
  mkdir -p "$dir" && [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --silent "maildev@$MAILDEV_VERSION" >/dev/null)
}

mailpit() {
  local bin=$peers/go/bin/mailpit go=go
  command -v go >/dev/null 2>&1 || go=/usr/local/go/bin/go
  [ -x "$bin" ] && "$go" version -m "$bin" 2>/dev/null | grep -q "mod.*$MAILPIT_VERSION" && return 0
  say "Mailpit $MAILPIT_VERSION (go install from the Go module proxy, about 2 minutes)"
  GOBIN=$peers/go/bin GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local} \
    "$go" install "github.com/axllent/mailpit@$MAILPIT_VERSION"
}

greenmail() {
  local dir=$peers/greenmail jar=greenmail-standalone-$GREENMAIL_VERSION.jar
  [ -f "$dir/$jar" ] && return 0
  command -v mvn >/dev/null 2>&1 || { say "GreenMail needs mvn (apt-get install maven)"; return 1; }
  say "GreenMail $GREENMAIL_VERSION (Maven Central)"
  mvn -q dependency:get "-Dartifact=com.icegreen:greenmail-standalone:$GREENMAIL_VERSION" >/dev/null &&
    mkdir -p "$dir" &&
    cp "$HOME/.m2/repository/com/icegreen/greenmail-standalone/$GREENMAIL_VERSION/$jar" "$dir/"
}

[ $# -gt 0 ] || set -- maildev mailpit greenmail
for peer; do
  case $peer in
    maildev|mailpit|greenmail) "$peer" || say "$peer could not be installed; the bench reports it as not measured" ;;
    *) say "unknown peer '$peer' (maildev|mailpit|greenmail)"; exit 2 ;;
  esac
done
exit 0
