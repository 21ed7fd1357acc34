#!/usr/bin/env bash
# `ringside journal prune`: retention removes whole sealed sessions, oldest
# first, keeps the newest per instance and anything unsealed (a recorder
# still writing, or a crash not yet recovered), leaves odd directories alone,
# and --dry-run changes nothing.
set -euo pipefail
B=${RINGSIDE:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
R=$T/journal
mk() {   # instance start age_days
  "$B" journal synth "$R/$1/$2" --bars 20 > /dev/null
  touch -d "@$(( $(date +%s) - $3 * 86400 ))" "$R/$1/$2"/seg-*.rsj
}
mk alpha 20260101T000000Z 30
mk alpha 20260201T000000Z 20
mk alpha 20260301T000000Z 10
mk alpha 20260401T000000Z 1
mk beta  20260101T000000Z 40      # beta's only session: kept by --keep-last 1
# an unsealed old session (recorder crashed, not recovered): cut the seal off
mk alpha 20251201T000000Z 60
f=$(ls "$R"/alpha/20251201T000000Z/seg-*.rsj | tail -1)
truncate -s -16 "$f"
touch -d "@$(( $(date +%s) - 60 * 86400 ))" "$f"
# an old session with a sub-directory inside: not ours to delete
mk alpha 20251101T000000Z 70
mkdir "$R/alpha/20251101T000000Z/extracted"
count() { ls -d "$R"/*/*/ | wc -l; }
[ "$(count)" -eq 7 ] || fail "setup: $(count) sessions"

# usage errors: no policy, bad numbers, missing root
set +e
"$B" journal prune "$R" > /dev/null 2>&1; rc1=$?
"$B" journal prune "$R" --keep-days x > /dev/null 2>&1; rc2=$?
"$B" journal prune "$R" --keep-bytes 12Q > /dev/null 2>&1; rc3=$?
"$B" journal prune "$T/none" --keep-days 1 > "$T/err" 2>&1; rc4=$?
set -e
[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ] || fail "usage errors exit 2 (got $rc1 $rc2 $rc3)"
[ $rc4 -eq 1 ] && grep -q "not a directory" "$T/err" || fail "missing root: exit $rc4: $(cat "$T/err")"

# dry run: the plan, nothing removed
"$B" journal prune "$R" --keep-days 15 --dry-run > "$T/dry"
grep -q "would remove .*alpha/20260101T000000Z" "$T/dry" || fail "dry run plan: $(cat "$T/dry")"
grep -q "would remove .*alpha/20260201T000000Z" "$T/dry" || fail "dry run plan: $(cat "$T/dry")"
[ "$(count)" -eq 7 ] || fail "--dry-run removed something"

# --keep-days 15: alpha's 30- and 20-day sessions go; beta (only session),
# the unsealed one and the one with a sub-directory stay, with the reason
"$B" journal prune "$R" --keep-days 15 > "$T/out"
cat "$T/out"
[ ! -d "$R/alpha/20260101T000000Z" ] && [ ! -d "$R/alpha/20260201T000000Z" ] || fail "old sessions not removed"
[ -d "$R/alpha/20260301T000000Z" ] && [ -d "$R/alpha/20260401T000000Z" ] || fail "recent sessions removed"
[ -d "$R/beta/20260101T000000Z" ] || fail "beta's newest (only) session removed"
[ -d "$R/alpha/20251201T000000Z" ] && grep -q "20251201T000000Z.*not sealed" "$T/out" || fail "unsealed session not kept/explained"
[ -d "$R/alpha/20251101T000000Z/extracted" ] || fail "session with a sub-directory touched"
grep -q "^removed 2 of 7 sessions" "$T/out" || fail "summary: $(tail -1 "$T/out")"

# --keep-bytes: oldest first down to the bound; the newest of each instance
# and the protected ones stay even if that misses the bound (exit 1, says why)
one=$(du -sb "$R/alpha/20260301T000000Z" | cut -f1)
set +e
"$B" journal prune "$R" --keep-bytes 1 > "$T/out2" 2> "$T/err2"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "still over --keep-bytes" "$T/err2" || fail "unmeetable bound: exit $rc"
[ ! -d "$R/alpha/20260301T000000Z" ] || fail "--keep-bytes kept an unprotected session"
[ -d "$R/alpha/20260401T000000Z" ] && [ -d "$R/beta/20260101T000000Z" ] || fail "--keep-bytes removed a newest session"
# a bound that fits exactly what is protected: exit 0
left=$(du -sb --apparent-size "$R"/*/*/ | awk '{s+=$1} END {print s}')
"$B" journal prune "$R" --keep-bytes "$(( left + one ))" > /dev/null || fail "met bound must exit 0"

# --include-unsealed --keep-last 0 empties alpha except the odd directory
"$B" journal prune "$R/alpha" --keep-days 0 --keep-last 0 --include-unsealed > "$T/out3"
[ ! -d "$R/alpha/20251201T000000Z" ] && [ ! -d "$R/alpha/20260401T000000Z" ] || fail "instance-dir prune: $(cat "$T/out3")"
[ -d "$R/alpha/20251101T000000Z" ] || fail "odd directory removed"
echo "journal prune: retention by age and size, newest/unsealed/odd sessions protected, dry run: ok"
