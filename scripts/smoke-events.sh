#!/usr/bin/env bash
# Runs every sample event in events/ through `local-api invoke` against a fresh database on the
# test cluster (TEST_DATABASE_URL), with demo data and the local Razorpay. Called by test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p devtools --bin local-api
db="smoke_$(date +%s)_$$"
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${TEST_DATABASE_URL%/*}/$db"
export LOCAL_API_SEED_DEMO=1
pass=0; fail=0
for f in events/*.json; do
  fn=$(basename "$f" .json)
  fn=${fn%%.*}
  if out=$(./target/debug/local-api invoke "$fn" --event "$f" 2>&1); then
    pass=$((pass+1)); echo "ok   $f"
  else
    fail=$((fail+1)); echo "FAIL $f"; echo "$out" | tail -20
  fi
done
echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
