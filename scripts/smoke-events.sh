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
# ANSWERS=FILE: each answer, ids and times masked, is also written to FILE (to compare the
# answers before and after a change that must not change behaviour).
[ -n "${ANSWERS:-}" ] && : >"$ANSWERS"
for f in events/*.json; do
  fn=$(basename "$f" .json)
  fn=${fn%%.*}
  # stdout carries the result alone (logs go to stderr), so it must parse as one JSON document.
  if out=$(./target/debug/local-api invoke "$fn" --event "$f" 2>"$f.stderr.tmp") \
     && printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)'; then
    pass=$((pass+1)); echo "ok   $f"
    [ -n "${ANSWERS:-}" ] && printf '%s' "$out" | python3 scripts/mask-answer.py "$f" >>"$ANSWERS"
  else
    fail=$((fail+1)); echo "FAIL $f"; echo "$out" | tail -20; tail -20 "$f.stderr.tmp"
  fi
  rm -f "$f.stderr.tmp"
done

# `kill` (SIGTERM) stops local-api's embedded PostgreSQL, as Ctrl-C does.
tmp=$(mktemp -d /tmp/local-api-term.XXXXXX); chmod 755 "$tmp"
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
apiport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
( cd "$tmp" && exec env -u DATABASE_URL DEV_PG_PORT=$pgport PORT=$apiport "$OLDPWD/target/debug/local-api" serve >"$tmp/out.log" 2>&1 ) &
api_pid=$!
for _ in $(seq 1 150); do grep -q "listening on" "$tmp/out.log" 2>/dev/null && break; sleep 0.2; done
kill -TERM "$api_pid" 2>/dev/null; wait "$api_pid" 2>/dev/null || true
if grep -q "listening on" "$tmp/out.log" && ! (echo >/dev/tcp/127.0.0.1/$pgport) 2>/dev/null; then
  pass=$((pass+1)); echo "ok   local-api stops its PostgreSQL on SIGTERM"
else
  fail=$((fail+1)); echo "FAIL local-api stops its PostgreSQL on SIGTERM"; tail -20 "$tmp/out.log"
  [ -d "$tmp/.dev/pg" ] && runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" stop -D "$tmp/.dev/pg" -m immediate >/dev/null 2>&1
fi
rm -rf "$tmp"

echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
