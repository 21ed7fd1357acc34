#!/usr/bin/env bash
# Create a throw-away CA and a certificate for localhost/127.0.0.1/::1 signed
# by it, for the bundled venue simulator. Output (git-ignored):
#   DIR/ca.pem  DIR/ca.key  DIR/server.pem  DIR/server.key
# Usage: tools/make-certs.sh [DIR]   (default: certs/ under the source tree)
# Idempotent: existing, still-valid files are kept (pass --force to remake).
set -euo pipefail
force=0
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$here/certs}"
mkdir -p "$dir"
if [ $force -eq 0 ] && [ -s "$dir/server.pem" ] && [ -s "$dir/ca.pem" ] &&
   openssl x509 -checkend 86400 -noout -in "$dir/server.pem" >/dev/null 2>&1; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=ringside throw-away test CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
cat > "$tmp/ext.cnf" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 825 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
chmod 600 "$tmp/ca.key" "$tmp/server.key"
mv "$tmp/ca.key" "$tmp/ca.pem" "$tmp/server.key" "$tmp/server.pem" "$dir/"
echo "make-certs: wrote $dir/{ca.pem,ca.key,server.pem,server.key}"
