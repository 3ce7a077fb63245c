#!/usr/bin/env bash
# Install the host tools the image scripts and the container tests need, with
# apt, only when they are missing. Usage: host-tools.sh podman|test-clients|lint...
#   podman        podman + runc + debootstrap (build and run the image offline)
#   test-clients  swaks (+ Net::SSLeay for TLS), curl, python3, openssl
#   lint          shellcheck (npm run lint checks every shell script)
set -euo pipefail

need=()
want() { # want COMMAND PACKAGE...: queue PACKAGEs when COMMAND is missing
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 || need+=("$@")
}

for group in "$@"; do
  case $group in
    podman)
      want podman podman golang-github-containers-common conmon netavark aardvark-dns \
        containernetworking-plugins slirp4netns fuse-overlayfs uidmap iptables
      want runc runc
      want debootstrap debootstrap
      ;;
    test-clients)
      want swaks swaks
      perl -MNet::SSLeay -e1 >/dev/null 2>&1 || need+=(libnet-ssleay-perl libio-socket-ssl-perl)
      want curl curl
      want python3 python3
      want openssl openssl
      ;;
    lint)
      want shellcheck shellcheck
      ;;
    *) echo "host-tools.sh: unknown group '$group' (podman|test-clients|lint)" >&2; exit 2 ;;
  esac
done

[ ${#need[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "host-tools.sh: missing ${need[*]} and not root (no sudo): install them first" >&2; exit 1; }
  sudo=(sudo -n)
fi
echo "host-tools.sh: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# An update only when the package lists are too old to know the packages.
if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
