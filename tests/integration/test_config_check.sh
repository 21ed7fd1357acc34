#!/usr/bin/env bash
# `ringside config check`: exit codes and messages on good and bad files.
#  - every tests/data/config/bad_*.yml names its expected first error in its
#    first line ("# expect: FILE:LINE: key.path: reason"); check exits 1 and
#    prints exactly that first
#  - the bundled profiles and good.yml pass (exit 0) and the printed effective
#    config is itself valid and prints back identically
#  - usage errors exit 2; an unreadable file exits 1 naming it
#  - `config keys` matches the reference in docs/config.md
set -u
B=${RINGSIDE:?RINGSIDE not set}
cd "${RS_SOURCE_DIR:?RS_SOURCE_DIR not set}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

run() { # cmd...: sets rc, out, err
  "$@" >"$T/out" 2>"$T/err"
  rc=$?
}

# --- bad files: exit 1, exact first message --------------------------------
n=0
for f in tests/data/config/bad_*.yml; do
  n=$((n + 1))
  want="tests/data/config/$(sed -n '1s/^# expect: //p' "$f")"
  [ "$want" != "tests/data/config/" ] || { fail "$f has no '# expect:' line"; continue; }
  run "$B" config check "$f"
  got=$(head -1 "$T/err")
  [ $rc -eq 1 ] || fail "$f: exit $rc, want 1"
  [ "$got" = "$want" ] || fail "$f: first message
   want: $want
    got: $got"
  [ ! -s "$T/out" ] || fail "$f: printed a config on stdout although invalid"
  grep -q "^ringside config: $f is not valid$" "$T/err" || fail "$f: no final 'is not valid' line"
done
[ $n -ge 10 ] || fail "only $n bad files"

# --- good files: exit 0, effective config round-trips -----------------------
for f in tests/data/config/good.yml configs/demo.yml configs/colo.yml configs/binance-testnet.yml; do
  run "$B" config check "$f"
  [ $rc -eq 0 ] || { fail "$f: exit $rc: $(cat "$T/err")"; continue; }
  [ ! -s "$T/err" ] || fail "$f: unexpected stderr: $(cat "$T/err")"
  grep -q '^rings:$' "$T/out" || fail "$f: effective config lacks defaulted sections"
  grep -q '^  recorder_lag_policy: pause_trading$' "$T/out" || fail "$f: effective config lacks a default"
  cp "$T/out" "$T/eff.yml"
  run "$B" config check "$T/eff.yml"
  [ $rc -eq 0 ] || { fail "$f: effective config does not load back: $(cat "$T/err")"; continue; }
  if ! diff <(tail -n +2 "$T/eff.yml") <(tail -n +2 "$T/out") >/dev/null; then
    fail "$f: effective config changes when loaded back"
  fi
  run "$B" config check --quiet "$f"
  [ $rc -eq 0 ] && [ ! -s "$T/out" ] || fail "$f: --quiet printed or failed"
done
grep -q '^  z_threshold: 1.0$' <("$B" config check tests/data/config/good.yml) || fail "default gate.z_threshold not shown"

# --- warnings do not fail ------------------------------------------------------
sed 's/^  url: .*/  url: ws:\/\/127.0.0.1:9443\/stream/' tests/data/config/good.yml > "$T/plain.yml"
run "$B" config check "$T/plain.yml"
[ $rc -eq 0 ] || fail "plain ws:// should only warn (exit $rc)"
grep -q "warning: plain (unencrypted) connection to 127.0.0.1" "$T/err" || fail "no plain-connection warning: $(cat "$T/err")"

# --- all problems are listed, not only the first --------------------------------
printf 'instance: x\ngate:\n  z_threshold: nan\n  cost_bps: -1\n  bogus: 1\n' > "$T/many.yml"
run "$B" config check "$T/many.yml"
[ $rc -eq 1 ] || fail "many.yml exit $rc"
[ "$(grep -c "^$T/many.yml:" "$T/err")" -ge 6 ] || fail "not every problem listed: $(cat "$T/err")"

# --- --check-files ------------------------------------------------------------
mkdir -p "$T/m"
echo '{}' > "$T/m/h1.json"
cat > "$T/files.yml" <<EOF
instance: files
feed: {url: wss://127.0.0.1:9443/stream}
instruments:
  - {symbol: BTCUSDT, px_exp: 2, qty_exp: 5, tick: "0.01", lot: "0.00001"}
model:
  models:
    - {path: $T/m/h1.json, horizon_bars: 1}
exec:
  mode: paper
  secrets: {file: $T/secrets}
EOF
: > "$T/secrets"
chmod 644 "$T/secrets"
run "$B" config check --quiet "$T/files.yml"
[ $rc -eq 0 ] || fail "without --check-files files are not looked at (exit $rc)"
run "$B" config check --quiet --check-files "$T/files.yml"
[ $rc -eq 1 ] || fail "0644 secrets file accepted"
grep -q "^$T/files.yml:10: exec.secrets.file: $T/secrets: mode 644 lets others read it; chmod 600$" "$T/err" \
  || fail "secrets mode message: $(cat "$T/err")"
chmod 600 "$T/secrets"
run "$B" config check --quiet --check-files "$T/files.yml"
[ $rc -eq 0 ] || fail "0600 secrets file refused: $(cat "$T/err")"
rm "$T/m/h1.json"
run "$B" config check --quiet --check-files "$T/files.yml"
[ $rc -eq 1 ] && grep -q "^$T/files.yml:7: model.models\[0\].path: $T/m/h1.json: No such file or directory$" "$T/err" \
  || fail "missing model file: exit $rc: $(cat "$T/err")"

# --- usage and runtime failures ---------------------------------------------------
run "$B" config check
[ $rc -eq 2 ] && grep -q "missing FILE" "$T/err" && grep -q "^usage: ringside config" "$T/err" || fail "no FILE: exit $rc"
run "$B" config check --frob configs/demo.yml
[ $rc -eq 2 ] && grep -q "unknown option '--frob'" "$T/err" || fail "unknown option: exit $rc"
run "$B" config check configs/demo.yml configs/colo.yml
[ $rc -eq 2 ] || fail "two files: exit $rc"
run "$B" config
[ $rc -eq 2 ] || fail "no subcommand: exit $rc"
run "$B" config frob
[ $rc -eq 2 ] || fail "unknown subcommand: exit $rc"
run "$B" config keys extra
[ $rc -eq 2 ] || fail "keys with argument: exit $rc"
run "$B" config --help
[ $rc -eq 0 ] && grep -q "^usage: ringside config" "$T/out" || fail "--help: exit $rc"
run "$B" config check --help
[ $rc -eq 0 ] || fail "check --help: exit $rc"
run "$B" config check "$T/does-not-exist.yml"
[ $rc -eq 1 ] && grep -q "$T/does-not-exist.yml: cannot open config: No such file or directory" "$T/err" \
  || fail "missing file: exit $rc: $(cat "$T/err")"
run "$B" config check "$T"
[ $rc -eq 1 ] && grep -q "not a regular file" "$T/err" || fail "directory: exit $rc: $(cat "$T/err")"

# --- the reference in docs/config.md is what the schema says ----------------------
run "$B" config keys
[ $rc -eq 0 ] || fail "config keys: exit $rc"
if ! diff <(sed -n '/^<!-- keys -->$/,$p' docs/config.md | tail -n +2) "$T/out" >"$T/diff"; then
  fail "docs/config.md key reference is out of date (regenerate: see the comment above '<!-- keys -->'):
$(head -20 "$T/diff")"
fi

if [ $fails -ne 0 ]; then
  echo "$fails failure(s)"
  exit 1
fi
echo "config check: $n bad files, 4 good files, usage and reference: all as expected"
