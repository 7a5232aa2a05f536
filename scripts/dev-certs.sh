#!/usr/bin/env bash
# Development TLS files for `scripts/dev.sh start --mtls` (app-config.mtls.yaml), made with
# openssl under .sentinel/tls/ (or $SENTINEL_TLS_DIR):
#   ca.crt, ca.key              the development CA; kept once made, so what trusts it keeps
#                               trusting it
#   server.crt, server.key      the backend's certificate: localhost, 127.0.0.1, ::1
#   optimizer.crt, optimizer.key
#                               the optimizer's client certificate, CN=inframind (its subject in
#                               app-config.yaml's client-certificate entry)
# Run it again to rotate the two leaf certificates: a running backend takes them up without a
# restart. Development only: the CA's key sits beside the certificates it signs.
set -euo pipefail

dir="${SENTINEL_TLS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.sentinel/tls}"

die() {
  printf '\033[31m[sentinel] error:\033[0m %s\n' "$*" >&2
  exit 1
}

command -v openssl >/dev/null 2>&1 || die "openssl is needed: apt-get install openssl"

# Runs openssl quietly; on failure shows what it said and stops.
openssl_quiet() {
  local output
  output="$(openssl "$@" 2>&1 >/dev/null)" || die "openssl $1 failed: $output"
}

# One certificate signed by the CA: NAME SUBJECT EXTENDED-KEY-USAGE [SUBJECT-ALT-NAMES]. The key
# and certificate replace the old ones by rename, one right after the other, so a running
# backend (which watches them) reloads the pair at once.
issue() {
  local name="$1" subject="$2" usage="$3" san="${4:-}"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
    "$usage" "${san:+subjectAltName=$san}" >"$name.ext"
  openssl_quiet req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$name.key.new" -out "$name.csr" -subj "$subject"
  openssl_quiet x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days 90 -sha256 -extfile "$name.ext" -out "$name.crt.new"
  mv "$name.key.new" "$name.key"
  mv "$name.crt.new" "$name.crt"
  rm -f "$name.csr" "$name.ext"
}

mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
umask 077
if [ ! -s ca.key ] || [ ! -s ca.crt ]; then
  openssl_quiet req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.crt -days 365 -sha256 -subj "/CN=Sentinel development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi
issue server "/CN=localhost" serverAuth "DNS:localhost,IP:127.0.0.1,IP:::1"
issue optimizer "/CN=inframind" clientAuth
printf '\033[1m[sentinel]\033[0m development certificates in %s: ca.crt, server.crt/.key, optimizer.crt/.key\n' "$dir" >&2
