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
# Real AWS APIs from moto: a queue for the outbox, a verified SES sender for the dispatcher.
export EMAIL_FROM=noreply@yestoryd.test ADMIN_ALERT_EMAIL=alerts@yestoryd.test
NOTIFICATIONS_QUEUE_URL=$(python3 - <<PY
import boto3
kw = dict(endpoint_url="$AWS_ENDPOINT_URL", region_name="${AWS_REGION:-ap-south-1}")
boto3.client("sesv2", **kw).create_email_identity(EmailIdentity="$EMAIL_FROM")
print(boto3.client("sqs", **kw).create_queue(QueueName="$db")["QueueUrl"])
PY
)
export NOTIFICATIONS_QUEUE_URL
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
