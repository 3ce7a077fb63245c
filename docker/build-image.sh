#!/usr/bin/env bash
# Build the mail agent image (localhost/mailagent:dev) with podman, offline.
#
# - installs podman/runc/debootstrap with apt when missing (docker/host-tools.sh);
# - exports CONTAINERS_CONF=docker/containers.conf unless already set;
# - makes the base image debian:bookworm-slim once, without a registry:
#   debootstrap --variant=minbase, trimmed like the official slim image, cached
#   as a tarball in $MAILAGENT_CACHE_DIR (default ~/.cache/local-mail-agent)
#   and imported into podman under the Dockerfile's FROM name;
# - builds with --pull=never and labels the image with a hash of the build
#   inputs, so a second run with unchanged inputs does nothing.
#
# Environment: MAILAGENT_IMAGE (default localhost/mailagent:dev),
# MAILAGENT_CACHE_DIR, MAILAGENT_DEBIAN_MIRROR, MAILAGENT_EXIM_DAEMON
# (light|heavy, default light), MAILAGENT_REBUILD=1 to force a build.
# Prints the image reference on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=${MAILAGENT_IMAGE:-localhost/mailagent:dev}
base=docker.io/library/debian:bookworm-slim
exim_daemon=${MAILAGENT_EXIM_DAEMON:-light}
cache=${MAILAGENT_CACHE_DIR:-$HOME/.cache/local-mail-agent}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

say() { echo "build-image: $*" >&2; }

bash "$here/host-tools.sh" podman

mkdir -p "$cache"
# One build at a time (tests and benchmarks may call this concurrently).
exec 9>"$cache/image-build.lock"
flock 9

debian_mirror() {
  if [ -n "${MAILAGENT_DEBIAN_MIRROR:-}" ]; then echo "$MAILAGENT_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Trim a debootstrapped tree the way the official slim images are trimmed, and
# configure apt the same way, so that the Dockerfile behaves as on the real base.
slim_rootfs() {
  local root=$1 mirror=$2
  cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' > "$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' > "$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' > "$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  # Keep the host's view of its (possibly snapshot) mirror: dated Release files
  # would otherwise be refused as expired inside the build.
  if grep -rqs 'Check-Valid-Until' /etc/apt/apt.conf.d/; then
    echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99mirror-snapshot"
  fi
  rm -f "$root/etc/apt/sources.list"
  if [ -f /etc/apt/sources.list.d/debian.sources ] && grep -q bookworm /etc/apt/sources.list.d/debian.sources; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
  else
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" > "$root/etc/apt/sources.list.d/debian.sources"
  fi
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/* "$root"/var/cache/apt/* \
    "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/cache/debconf/*-old \
    "$root/etc/resolv.conf" "$root/etc/hostname"
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
}

ensure_base() {
  podman image exists "$base" && return 0
  local tarball=$cache/debian-bookworm-slim-rootfs.tar
  if [ ! -s "$tarball" ]; then
    local mirror rootfs
    mirror=$(debian_mirror)
    rootfs=$cache/rootfs.tmp
    rm -rf "$rootfs"
    say "debootstrap bookworm (minbase) from $mirror into $rootfs (about a minute)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$cache/debootstrap.log" 2>&1 || {
      say "debootstrap failed, last lines of $cache/debootstrap.log:"; tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    slim_rootfs "$rootfs" "$mirror"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  say "importing $tarball as $base"
  podman import --change 'CMD ["bash"]' "$tarball" "$base" > "$cache/image-import.log" 2>&1 || {
    say "podman import failed:"; cat "$cache/image-import.log" >&2; exit 1; }
}

inputs_hash() {
  # Everything that ends up in the image: the Dockerfile, the files it copies,
  # and the build arguments.
  (
    cd "$here"
    printf 'EXIM_DAEMON=%s\n' "$exim_daemon"
    find Dockerfile rootfs -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-16
}

hash=$(inputs_hash)
current=$(podman image inspect --format '{{ index .Labels "dev.localmail.inputs-hash" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$hash" ] && [ "${MAILAGENT_REBUILD:-0}" != 1 ]; then
  say "$image is up to date (inputs $hash)"
  echo "$image"
  exit 0
fi

ensure_base
old_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "building $image (inputs $hash, exim4-daemon-$exim_daemon)"
log=$cache/image-build.log
if ! podman build --pull=never --build-arg "EXIM_DAEMON=$exim_daemon" \
      --label "dev.localmail.inputs-hash=$hash" -t "$image" -f "$here/Dockerfile" "$here" > "$log" 2>&1; then
  say "podman build failed, last lines of $log:"; tail -n 30 "$log" >&2; exit 1
fi
new_id=$(podman image inspect --format '{{.Id}}' "$image")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  podman rmi "$old_id" >/dev/null 2>&1 || true
fi
# Layers of earlier builds of this image that nothing uses any more.
podman image prune -f --filter label=dev.localmail.image=mailagent >/dev/null 2>&1 || true
say "built $image: $(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}')"
echo "$image"
