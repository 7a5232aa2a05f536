#!/usr/bin/env bash
# One entry point for a fresh machine (only git, Node and npm needed):
#   scripts/dev.sh start   install everything, then run the app on the embedded default
#   scripts/dev.sh start --mtls
#                          the backend alone, its API on HTTPS with client certificates required
#                          (app-config.mtls.yaml; certificates from `certs` when missing)
#   scripts/dev.sh certs   write a development CA, the backend's server certificate (localhost,
#                          127.0.0.1) and the optimizer's client certificate to .sentinel/tls/
#   scripts/dev.sh test    install everything, then run every check and test CI runs
#   scripts/dev.sh setup   install only
# Installing is idempotent and quick when nothing changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$SENTINEL_ROOT"

# Local PostgreSQL and Redis of these machines; override to point tests elsewhere.
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"
export BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING="${BACKSTAGE_TEST_CACHE_REDIS7_CONNECTION_STRING:-redis://127.0.0.1:6379}"
# There is no Docker engine here: never let the test utilities try to start one.
export BACKSTAGE_TEST_DISABLE_DOCKER=1
export SCARF_ANALYTICS=false

timings=()
step() {
  local name="$1"
  shift
  local started=$SECONDS rc=0
  sentinel_log "$name"
  "$@" || rc=$?
  timings+=("$(printf '%-28s %4ss%s' "$name" $((SECONDS - started)) "$([ $rc = 0 ] || echo '  FAILED')")")
  return "$rc"
}
report_timings() {
  ((${#timings[@]})) || return 0
  sentinel_log "timings:"
  printf '  %s\n' "${timings[@]}" >&2
}
trap report_timings EXIT

install_dependencies() {
  # --immutable: a yarn.lock that does not match package.json fails here, not in production.
  yarn install --immutable
}

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    sentinel_die "'$*' needs root; install Debian's package yourself and re-run"
  fi
}

# Debian packages the tests need; installed once, never downloaded by a test tool itself.
install_system_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The README's mTLS calls, checked by a test as written.
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  # Alert routing: amtool checks deploy/alertmanager, a real Alertmanager delivers in a test.
  # Debian names the binary prometheus-alertmanager (upstream's is alertmanager).
  command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1 ||
    missing+=(prometheus-alertmanager)
  # The container image: built without a daemon, on a base made from Debian's packages.
  command -v buildah >/dev/null 2>&1 || missing+=(buildah)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null 2>&1 ||
    sentinel_die "missing ${missing[*]} and no apt-get to install them (set SENTINEL_CHROMIUM to use another Chromium)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The embedded default's Prometheus (canary analysis); without it Sentinel still starts, and
# analysis says Prometheus is unavailable.
install_prometheus() {
  command -v prometheus >/dev/null 2>&1 && return 0
  # A fresh machine may have no package lists yet: update them when the install fails.
  if command -v apt-get >/dev/null 2>&1 &&
    (as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus ||
      (as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus)); then
    return 0
  fi
  sentinel_log "could not install Debian's prometheus: canary analysis will find Prometheus unavailable"
}

# The embedded default's SQLite files hold every plugin's migrations. Backstage's plugins refuse
# a database migrated by a release they do not know ("migration directory is corrupt"), so a
# checkout that moved to another Backstage release (backstage.json) would no longer start: its
# databases are moved aside, said so, and the start begins with fresh demo data.
set_aside_databases_of_another_release() {
  local release stamp=.sentinel/backstage-release
  release="$(node -p 'require("./backstage.json").version')"
  if [ -d .sentinel/sqlite ] && [ -n "$(ls -A .sentinel/sqlite)" ] &&
    [ "$(cat "$stamp" 2>/dev/null)" != "$release" ]; then
    local aside
    aside=".sentinel/sqlite.before-$release.$(date +%Y%m%d%H%M%S)"
    mv .sentinel/sqlite "$aside"
    sentinel_log "Backstage release is now $release (was $(cat "$stamp" 2>/dev/null || echo 'not recorded')): the demo databases were moved to $aside and start afresh"
  fi
  echo "$release" >"$stamp"
}

require_service() {
  local name="$1" host="$2" port="$3" hint="$4"
  if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    sentinel_die "$name is not reachable at $host:$port, and the tests use the real one. Start it with: $hint"
  fi
}

run_tests() {
  require_service PostgreSQL 127.0.0.1 5432 \
    "pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
  require_service Redis 127.0.0.1 6379 \
    "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
  # Every @backstage/* package at its version in backstage.json's release (scripts/backstage-release.mjs).
  step "one Backstage release" node scripts/backstage-release.mjs
  step "type check (yarn tsc)" yarn tsc
  # The committed API reports match what the packages export.
  step "API reports (check)" yarn build:api-reports --ci
  step "lint (yarn lint)" yarn lint
  step "format (yarn prettier:check)" yarn prettier:check
  local results="node_modules/.cache/sentinel-test-results" failed=0
  rm -rf "$results" && mkdir -p "$results"
  # CI=true: run once instead of watching, and fail rather than skip a missing database.
  # The *.security.test.ts files run once, in the security suite below.
  step "unit and integration tests" env CI=true yarn test --testPathIgnorePatterns '\.security\.test\.ts$' \
    --json --outputFile="$results/jest.json" || failed=1
  # TLS handshakes (openssl s_client), access matrix, hostile bodies, secret exposure, the
  # dependency audit (docs/security.md).
  step "security suite (yarn test:security)" env CI=true yarn test:security \
    --json --outputFile="$results/security.json" || failed=1
  step "browser tests (Chromium)" env SENTINEL_E2E_JSON="$results/e2e.json" yarn test:e2e || failed=1
  # A short pipeline benchmark with floors ten times below the targets: a collapse of the
  # executor (plans no longer applied in seconds) fails the run, as a test would.
  step "pipeline smoke benchmark" yarn bench:smoke || failed=1
  # The image built, started on the production configuration and measured against its targets.
  if command -v buildah >/dev/null 2>&1; then
    step "container image (build, start, measure)" scripts/image.sh check || failed=1
  else
    sentinel_log "SKIPPED: the container image was neither built nor started (buildah is not installed and could not be)"
  fi
  # A rolling update and its rollback, this checkout against the commit before it, both on one
  # PostgreSQL under load (docs/upgrades.md). A clone without that commit cannot run it.
  if git rev-parse --verify -q 'HEAD^' >/dev/null; then
    step "upgrade and rollback drill (previous release: HEAD^)" yarn drill:upgrade || failed=1
  else
    sentinel_log "SKIPPED: the upgrade drill (this checkout has no previous commit to upgrade from: a shallow clone?)"
  fi
  if ((failed)); then sentinel_log "some tests failed"; else sentinel_log "all checks passed"; fi
  report_timings
  trap - EXIT
  # The closing line counts every test of every runner.
  node scripts/test-summary.mjs "$results/jest.json" "$results/e2e.json" "$results/security.json"
  return "$failed"
}

case "${1:-}" in
  certs)
    bash scripts/dev-certs.sh
    ;;
  setup)
    step "install dependencies" install_dependencies
    ;;
  start)
    mtls=0
    case "${2:-}" in
      "") ;;
      --mtls) mtls=1 ;;
      *) sentinel_die "unknown option '$2' (scripts/dev.sh start [--mtls])" ;;
    esac
    step "install dependencies" install_dependencies
    step "install Prometheus" install_prometheus
    mkdir -p .sentinel
    set_aside_databases_of_another_release
    if ((mtls)); then
      [ -s .sentinel/tls/server.crt ] && [ -s .sentinel/tls/optimizer.crt ] ||
        step "development certificates" bash scripts/dev-certs.sh
      report_timings
      trap - EXIT
      # The portal is not started: a browser would need the optimizer's certificate.
      sentinel_log "starting Sentinel's backend over mTLS: https://localhost:7007 answers only clients with a certificate from .sentinel/tls/ca.crt (README, \"mTLS\"); health on http://127.0.0.1:7008"
      exec yarn start backend --config "$SENTINEL_ROOT/app-config.yaml" --config "$SENTINEL_ROOT/app-config.mtls.yaml"
    fi
    report_timings
    trap - EXIT
    sentinel_log "starting Sentinel: http://localhost:3000 (sign in as guest), backend on :7007"
    exec yarn start
    ;;
  test)
    step "install dependencies" install_dependencies
    step "install system packages" install_system_packages
    run_tests
    ;;
  *)
    echo "usage: scripts/dev.sh start [--mtls]|certs|test|setup" >&2
    exit 2
    ;;
esac
