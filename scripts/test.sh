#!/usr/bin/env bash
# The test command (README): installs what is missing, starts a private PostgreSQL and moto on
# free ports, runs formatting, lints, cfn-lint, every test and the local-api smoke checks, then
# stops what it started. Safe to run on a fresh Debian machine as root or as a normal user.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- install -------------------------------------------------------------------------------
bash scripts/install-deps.sh test
hash -r
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN=$(pg_bin)
PY=${PYTHON:-python3}

# ---- start ---------------------------------------------------------------------------------
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
WORK=$(mktemp -d /tmp/yt-test.XXXXXX)
chmod 755 "$WORK"
PGPORT=$(free_port)
MOTOPORT=$(free_port)
PGBPORT=$(free_port)
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  set +e
  [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null
  [ -f "$WORK/pgb/pgbouncer.pid" ] && kill "$(cat "$WORK/pgb/pgbouncer.pid")" 2>/dev/null
  run_pg "$PGBIN/pg_ctl" stop -D "$WORK/pg" -m immediate >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

log "starting PostgreSQL on 127.0.0.1:$PGPORT"
mkdir -p "$WORK/pg" "$WORK/sock"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$WORK/pg" "$WORK/sock"; fi
run_pg "$PGBIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
run_pg "$PGBIN/pg_ctl" start -w -D "$WORK/pg" -l "$WORK/sock/server.log" \
  -o "-p $PGPORT -k $WORK/sock -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
  || { cat "$WORK/sock/server.log"; exit 1; }

log "starting PgBouncer (transaction mode) on 127.0.0.1:$PGBPORT in front of it"
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
mkdir -p "$WORK/pgb"
cat >"$WORK/pgb/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PGPORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBPORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/pgb/users.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 10
ignore_startup_parameters = extra_float_digits
logfile = $WORK/pgb/pgbouncer.log
pidfile = $WORK/pgb/pgbouncer.pid
INI
echo '"postgres" ""' >"$WORK/pgb/users.txt"
if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$WORK/pgb"; fi
run_pg "$PGBOUNCER" -d "$WORK/pgb/pgbouncer.ini" || { cat "$WORK/pgb/pgbouncer.log"; exit 1; }

log "starting moto on 127.0.0.1:$MOTOPORT"
moto_server -H 127.0.0.1 -p "$MOTOPORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do
  "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$MOTOPORT/moto-api/')" 2>/dev/null && break
  sleep 0.2
done

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTOPORT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-south-1
export RUST_LOG=${RUST_LOG:-warn}
# One build, never edited between runs: incremental state (1.5 GB on a fresh clone) buys nothing.
export CARGO_INCREMENTAL=0
disk() { df -Pk "$ROOT/target" 2>/dev/null || df -Pk "$ROOT"; }
free_gb() { disk | awk 'NR==2 {printf "%.1f", $4/1048576}'; }
log "disk: $(free_gb) GB free where target/ is"

# ---- check ---------------------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
log "module graph: imports point down, no circle, SQL only in stores"
python3 scripts/module-graph.py
log "cfn-lint template.yaml"
cfn-lint template.yaml
log "cargo test"
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee "$WORK/cargo-test.log"
test_rc=${PIPESTATUS[0]}
log "cargo test again, the functions reaching PostgreSQL through PgBouncer (transaction mode)"
TEST_POOLER_URL="postgres://postgres@127.0.0.1:$PGBPORT/" cargo test --workspace --no-fail-fast 2>&1 | tee "$WORK/cargo-test-pooled.log"
pooled_rc=${PIPESTATUS[0]}
log "local-api invoke: every sample event against a fresh database"
bash scripts/smoke-events.sh 2>&1 | tee "$WORK/smoke.log"
smoke_rc=${PIPESTATUS[0]}
log "README walkthrough: every local-api example of README.md, in the order written, against a fresh local-api"
"$PY" scripts/readme-walkthrough.py 2>&1 | tee "$WORK/readme.log"
readme_rc=${PIPESTATUS[0]}
log "Schemathesis: generated requests to every route of openapi.yaml, against local-api"
bash scripts/schemathesis.sh 2>&1 | tee "$WORK/schemathesis.log"
st_rc=${PIPESTATUS[0]}
log "cargo lambda invoke: the Lambda binaries under the runtime emulator"
bash scripts/smoke-lambda.sh 2>&1 | tee "$WORK/lambda.log"
lambda_rc=${PIPESTATUS[0]}
log "sam build --beta-features: every function for arm64, each artifact checked"
# What each function needs, from the debug local-api, before the debug build may go.
./target/debug/local-api functions >"$WORK/needs.json" 2>/dev/null || rm -f "$WORK/needs.json"
# The arm64 release build and SAM's copy of it take ~1.5 GB more. Where the disk is short of
# that with room to spare, the debug build (not needed after this point) goes first: a machine
# with the room keeps it for the next run.
if [ "$(disk | awk 'NR==2 {print $4}')" -lt $((4 * 1048576)) ]; then
  echo "disk: $(free_gb) GB free, under 4 GB: removing the debug build (cargo clean --profile dev) first"
  cargo clean --profile dev 2>&1 | tail -1
  echo "disk: $(free_gb) GB free"
fi
NEEDS_JSON="$WORK/needs.json" bash scripts/check-deploy.sh 2>&1 | tee "$WORK/deploy.log"
deploy_rc=${PIPESTATUS[0]}
set -e
log "disk: $(free_gb) GB free where target/ is, at the end"
logs=("$WORK/cargo-test.log" "$WORK/cargo-test-pooled.log" "$WORK/smoke.log" "$WORK/readme.log" "$WORK/lambda.log" "$WORK/deploy.log")
passed=$(grep -hoE '(test result: .*\. |smoke: |readme: |deploy: )[0-9]+ passed' "${logs[@]}" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -hoE '[0-9]+ failed' "${logs[@]}" | awk '{s+=$1} END {print s+0}')
# Schemathesis counts generated requests, not tests: its own line.
grep -h '^schemathesis:' "$WORK/schemathesis.log" || echo "schemathesis: did not run to the end"
st_failed=$(sed -n 's/^schemathesis: .* \([0-9]*\) failed$/\1/p' "$WORK/schemathesis.log" | head -1)
failed=$((failed + ${st_failed:-1}))
echo
echo "tests: $passed passed, $failed failed"
if [ "$test_rc" != 0 ] || [ "$pooled_rc" != 0 ] || [ "$smoke_rc" != 0 ] || [ "$readme_rc" != 0 ] || [ "$st_rc" != 0 ] || [ "$lambda_rc" != 0 ] || [ "$deploy_rc" != 0 ]; then exit 1; fi
