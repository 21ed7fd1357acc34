#!/usr/bin/env bash
# Certificates for the TLS verification tests, made at test time:
#   ca.pem                       the trusted test CA
#   good.{pem,key}               localhost, signed by ca.pem
#   wronghost.{pem,key}          example.com only, signed by ca.pem
#   expired.{pem,key}            localhost, signed by ca.pem, expired in 2020
#   untrusted.{pem,key}          localhost, signed by another CA nobody trusts
# Usage: tls_certs.sh DIR
set -euo pipefail
d="$1"
mkdir -p "$d"
cd "$d"
q() { "$@" >/dev/null 2>&1; }
mkca() {  # name
  q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.pem" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
}
mkca ca
mkca otherca
leaf() {  # name cn san ca
  q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$3" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA "$4.pem" -CAkey "$4.key" -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.pem"
}
leaf good localhost "DNS:localhost,IP:127.0.0.1" ca
leaf wronghost example.com "DNS:example.com" ca
leaf untrusted localhost "DNS:localhost,IP:127.0.0.1" otherca
# expired: `openssl ca` can set explicit start/end dates in the past
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" -keyout expired.key -out expired.csr
mkdir -p cadb
: > cadb/index.txt
echo 1000 > cadb/serial
cat > cadb/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = $d/cadb/index.txt
serial = $d/cadb/serial
new_certs_dir = $d/cadb
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
CNF
q openssl ca -batch -config cadb/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200201000000Z -notext
test -s expired.pem
