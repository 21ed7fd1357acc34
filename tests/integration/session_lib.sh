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
