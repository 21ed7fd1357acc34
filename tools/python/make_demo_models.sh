#!/usr/bin/env bash
# Regenerate the bundled demo models (models/) from the simulator's own
# synthetic market: the same generator the demo's venue-sim serves, a
# different seed (1, not the demo's 7) so the demo day is out of sample.
#   1. ringside venue-sim dump   -> Binance trade CSVs (10 days, 4 symbols)
#   2. ringside features         -> one feature row per 5-minute bar (the live stage's code)
#   3. train_models.py train     -> XGBoost models per horizon + calibration
# Deterministic: same seed, same data, one training thread.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${RINGSIDE:-./build/release/ringside}
WORK=${WORK:-var/train}
HOURS=${HOURS:-240}
mkdir -p "$WORK"
$BIN venue-sim dump --out "$WORK/trades" --seed 1 --symbols 4 --hours "$HOURS" --rate-scale 0.3
args=()
for f in "$WORK"/trades/*.csv; do args+=(--trades "$f"); done
$BIN features "${args[@]}" --px-exp 2 --qty-exp 5 --out "$WORK/features.csv"
/usr/bin/python3 tools/python/train_models.py train --csv "$WORK/features.csv" --out "${OUT:-models}" \
    --horizons 1,3,12 --weights 0.5,0.3,0.2 --seed 0
