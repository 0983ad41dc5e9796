#!/usr/bin/env bash
# Fuzzes every parser of outside input for a set time each (default 600 s):
# availability rules, blackouts, the register CSV, planning instances,
# station files, written-down tide readings, the configuration and the
# API's request bodies (docs/reliability.md, "Fuzzing").
#
#   scripts/fuzz.sh [SECONDS] [SEED]
#
# Prints one JSON line per target (cases, cases per second, accepted,
# refused, failures) and writes each failing input to fuzz-found/; exits
# non-zero when one fails. A failing input becomes a regression test:
# copy it to tests/fuzz/regressions/ (TARGET-NAME.txt), which the e2e tests
# replay.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
seed="${2:-$(date +%s)}"
cargo build --locked -p doorstep-tests --bin doorstep-fuzz
fuzz="${CARGO_TARGET_DIR:-target}/debug/doorstep-fuzz"
echo "seed $seed, $seconds s a target" >&2
status=0
for target in rule blackout register instance station readings config api; do
  "$fuzz" --target "$target" --seconds "$seconds" --seed "$seed" --found fuzz-found || status=1
done
exit "$status"
