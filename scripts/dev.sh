#!/usr/bin/env bash
# The local stack with demo data (README, first command): installs PostgreSQL if the machine
# has none, then runs local-api (embedded cluster under .dev/, every route on 127.0.0.1:3000).
# Arguments go to local-api: `./scripts/dev.sh invoke outbox-relay`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then bash scripts/install-deps.sh pg; fi
exec cargo run -q -p devtools --bin local-api -- "$@"
