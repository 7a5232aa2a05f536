#!/usr/bin/env bash
# Sentinel's container image, built and started without a daemon (buildah).
#
#   scripts/image.sh build   build the image (packages/backend/Dockerfile) as sentinel-backend:dev
#   scripts/image.sh check   build it, start it on the production configuration against a
#                            PostgreSQL that requires TLS, and measure it: image size,
#                            start-to-ready time and idle memory; exits non-zero on a miss
#   scripts/image.sh base    only make the local base image (below)
#
# BASE_IMAGE picks the Dockerfile's base (an image with Node in /usr/local and a `node` user).
# Unset, a base is made here from Debian's packages (debootstrap of bookworm) plus the Node
# release the tests run on, because no image registry is reachable from these machines.
# Targets (the seed's): ready in under SENTINEL_IMAGE_READY_TARGET_S (30) seconds, idle resident
# memory under SENTINEL_IMAGE_RSS_TARGET_MB (512) MB.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$SENTINEL_ROOT"

IMAGE="${SENTINEL_IMAGE:-localhost/sentinel-backend:dev}"
READY_TARGET_S="${SENTINEL_IMAGE_READY_TARGET_S:-30}"
RSS_TARGET_MB="${SENTINEL_IMAGE_RSS_TARGET_MB:-512}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# chroot isolation runs build steps where no user or network namespace can be made (as on
# these machines); the storage driver is buildah's own choice unless STORAGE_DRIVER names one
# (vfs works everywhere, slowly). image-check.mjs runs the container the same way.
export BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"

command -v buildah >/dev/null 2>&1 ||
  sentinel_die "buildah is not installed (Debian: apt-get install buildah debootstrap)"

buildah() { command buildah ${STORAGE_DRIVER:+--storage-driver "$STORAGE_DRIVER"} "$@"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

local_base_tag() { echo "localhost/sentinel-base:bookworm-node$SENTINEL_NODE_VERSION"; }

# A Debian bookworm (minbase) with the tests' Node release in /usr/local and the `node` user
# (uid 1000), i.e. what the official node:*-bookworm-slim image provides.
make_local_base() {
  local tag work node_pkg
  tag="$(local_base_tag)"
  if buildah inspect --type image "$tag" >/dev/null 2>&1; then return 0; fi
  command -v debootstrap >/dev/null 2>&1 ||
    sentinel_die "debootstrap is not installed (Debian: apt-get install debootstrap), or set BASE_IMAGE"
  node_pkg="$(sentinel_node_package)"
  work="$(mktemp -d /var/tmp/sentinel-base.XXXXXX)"
  sentinel_log "making the base image $tag (debootstrap of bookworm from $DEBIAN_MIRROR)"
  as_root debootstrap --variant=minbase bookworm "$work/rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; sentinel_die "debootstrap failed (log above)"; }
  # The package carries node itself and its headers (no npm: Yarn is the repository's own).
  as_root cp -a "$node_pkg/bin" "$node_pkg/include" "$work/rootfs/usr/local/"
  as_root chroot "$work/rootfs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node'
  as_root rm -rf "$work/rootfs/var/cache/apt/archives"/*.deb "$work/rootfs/var/lib/apt/lists"/*
  as_root tar -C "$work/rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$work/rootfs.tar" .
  local ctr
  ctr="$(buildah from scratch)"
  buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd node --label org.opencontainers.image.description="Debian bookworm + Node $SENTINEL_NODE_VERSION" "$ctr"
  buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
  as_root rm -rf "$work"
}

build_image() {
  local base="${BASE_IMAGE:-}" volumes=()
  if [ -z "$base" ]; then
    make_local_base
    base="$(local_base_tag)"
  fi
  # Yarn's package cache of this machine, so the image installs what the checkout installed
  # (Yarn adds what is missing from the registry).
  local cache="${YARN_CACHE_FOLDER:-$HOME/.yarn/berry/cache}"
  mkdir -p "$cache"
  volumes+=(--volume "$cache:/root/.yarn/berry/cache")
  sentinel_log "building $IMAGE on $base"
  buildah bud --layers --quiet \
    --file packages/backend/Dockerfile \
    --build-arg BASE_IMAGE="$base" \
    --build-arg YARN_NPM_REGISTRY_SERVER="$YARN_NPM_REGISTRY_SERVER" \
    "${volumes[@]}" \
    --tag "$IMAGE" .
}

case "${1:-}" in
  base) make_local_base ;;
  build) build_image ;;
  check)
    build_image
    exec node --import tsx scripts/image-check.mjs "$IMAGE" "$READY_TARGET_S" "$RSS_TARGET_MB"
    ;;
  *)
    echo "usage: scripts/image.sh build|check|base" >&2
    exit 2
    ;;
esac
