# tests/integration/session_lib.sh -- sourced (not run) by the scripts that
# run an engine session against venue-sim (ctest label `session`): the set-up
# they all share, in one place.
#
#   session_begin          strict mode; B (the ringside binary), SRC (the
#                          source tree, the working directory from here on),
#                          T (a fresh temp dir: removed at exit, kept and
#                          named when RS_KEEP_TMP is set); SIM / RUN: pids of
#                          venue-sim / the engine, killed at exit when set; a
#                          throw-away CA and localhost certificate in
#                          $T/certs; t0 for note()
#   note MSG               prints "[<seconds since session_begin>s] MSG"
#   session_secrets NAME   $T/secrets, mode 0600 (as the engine requires): an
#                          API key "NAME<random>", a random HMAC secret and a
#                          random Ed25519 seed; SECRETS = the three values (to
#                          prove none reaches the journal or the logs)
#   sim_start DIR LOG [--orders] ARGS...
#                          venue-sim in the background on free ports, with
#                          the session's certificate, output in LOG, pid in
#                          SIM; --orders adds the order-entry port. Waits for
#                          the port files in DIR and sets PORT (and OPORT);
#                          exits with the log if it did not start.
#   sim_config IN OUT INSTANCE JDIR [SED-ARGS...]
#                          OUT = config IN pointed at that venue-sim (PORT,
#                          OPORT, the session's CA), with that instance name
#                          and journal directory; SED-ARGS (-e ...) edit more
# A script that needs more at exit sets its own trap and calls
# session_cleanup from it.

session_cleanup() {
  local rc=$?   # the script's own status: a pid already gone must not change it
  [ -z "${RUN:-}" ] || kill "$RUN" 2>/dev/null || true
  [ -z "${SIM:-}" ] || kill "$SIM" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${RS_KEEP_TMP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
  exit $rc
}

session_begin() {
  set -euo pipefail
  B=${RINGSIDE:?}
  SRC=${RS_SOURCE_DIR:?}
  T=$(mktemp -d)
  SIM=""
  RUN=""
  trap session_cleanup EXIT
  cd "$SRC"
  bash tools/make-certs.sh "$T/certs" >/dev/null
  t0=$(date +%s)
}

note() { echo "[$(( $(date +%s) - t0 ))s] $*"; }

session_secrets() {
  ( umask 077
    printf 'api_key = %s%s\nhmac_secret = %s\ned25519_seed = %s\n' \
        "$1" "$(openssl rand -hex 12)" "$(openssl rand -hex 32)" "$(openssl rand -hex 32)" > "$T/secrets" )
  SECRETS=$(sed 's/^[a-z_0-9]* = //' "$T/secrets")
}

sim_start() {
  local dir=$1 log=$2 orders=0; shift 2
  if [ "${1:-}" = --orders ]; then orders=1; shift; fi
  rm -f "$dir/port" "$dir/oport"
  local extra=()
  [ $orders = 0 ] || extra=(--orders-port 0 --orders-port-file "$dir/oport")
  "$B" venue-sim --port 0 --port-file "$dir/port" --cert "$T/certs/server.pem" --key "$T/certs/server.key" \
      "$@" "${extra[@]}" > "$log" 2>&1 &
  SIM=$!
  for _ in $(seq 1 200); do
    [ -s "$dir/port" ] && { [ $orders = 0 ] || [ -s "$dir/oport" ]; } && break
    sleep 0.1
  done
  if [ ! -s "$dir/port" ] || { [ $orders = 1 ] && [ ! -s "$dir/oport" ]; }; then
    echo "venue-sim did not start:"; cat "$log"; exit 1
  fi
  PORT=$(cat "$dir/port")
  OPORT=""
  [ $orders = 0 ] || OPORT=$(cat "$dir/oport")
}

sim_config() {
  local in=$1 out=$2 inst=$3 jdir=$4; shift 4
  sed -e "s#127.0.0.1:9443#127.0.0.1:$PORT#g" -e "s#127.0.0.1:9444#127.0.0.1:${OPORT:-9444}#g" \
      -e "s#certs/ca.pem#$T/certs/ca.pem#g" -e "s#^instance: .*#instance: $inst#" \
      -e "s#journal_dir: var/journal#journal_dir: $jdir#" "$@" "$in" > "$out"
}
