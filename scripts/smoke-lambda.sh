#!/usr/bin/env bash
# Runs the real Lambda binaries under `cargo lambda watch` (the Lambda runtime API emulator) and
# invokes them with their sample events through `cargo lambda invoke`. Called by test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
db="lambda_smoke_$(date +%s)_$$"
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
setsid cargo lambda watch -p functions -P "$port" -A 127.0.0.1 \
  --env-var "DATABASE_URL=${TEST_DATABASE_URL%/*}/$db" \
  --env-var SUPABASE_JWT_SECRET=local-dev-jwt-secret-not-for-production-000 \
  --env-var RAZORPAY_KEY_ID=rzp_test_smoke \
  --env-var "AWS_REGION=${AWS_REGION:-ap-south-1}" >"$log" 2>&1 &
watch_pid=$!
trap 'kill -- -$watch_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  sleep 0.2
done
pass=0; fail=0
check() { # function event jq-like expectation (a substring of the output)
  local out
  if out=$(timeout 300 cargo lambda invoke "$1" -P "$port" -A 127.0.0.1 --data-file "$2" 2>&1) && [[ "$out" == *"$3"* ]]; then
    pass=$((pass+1)); echo "ok   cargo lambda invoke $1 ($2)"
  else
    fail=$((fail+1)); echo "FAIL cargo lambda invoke $1 ($2)"; echo "$out" | tail -5; tail -20 "$log"
  fi
}
check migrate events/migrate.json '"applied"'
check payments-stats events/payments-stats.json '"statusCode":200'
check payment-retry events/payment-retry.json '"statusCode":404'
echo "lambda smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
