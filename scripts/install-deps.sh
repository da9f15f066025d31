#!/usr/bin/env bash
# Installs what the local stack and the tests need when it is missing, on a fresh Debian machine
# with only Rust: `install-deps.sh pg` (PostgreSQL from Debian's packages), `install-deps.sh test`
# (that, PgBouncer, and moto[server], cfn-lint, schemathesis, cargo-lambda, aws-sam-cli from PyPI, clippy and
# rustfmt). Safe to run again: it installs only what is not there.
set -euo pipefail
what=${1:-test}
log() { printf '\n== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  log "installing PostgreSQL from Debian's packages"
  apt_install postgresql postgresql-contrib
fi
[ "$what" = pg ] && exit 0

deb_missing=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || deb_missing+=(pgbouncer)
command -v strace >/dev/null 2>&1 || deb_missing+=(strace)
# The README walkthrough runs its curl lines as written.
command -v curl >/dev/null 2>&1 || deb_missing+=(curl)
if [ ${#deb_missing[@]} -gt 0 ]; then
  log "installing from Debian's packages: ${deb_missing[*]}"
  apt_install "${deb_missing[@]}"
fi

PY=${PYTHON:-python3}
py_missing=()
# moto 5.2.5 or later: earlier ones answer CompleteMultipartUpload with a root element S3 does
# not use (the export's multipart upload).
moto_ok() {
  command -v moto_server >/dev/null 2>&1 &&
    "$PY" -c 'import sys, moto; v = tuple(int(x) for x in moto.__version__.split(".")[:3]); sys.exit(0 if v >= (5, 2, 5) else 1)' 2>/dev/null
}
moto_ok || py_missing+=("moto[server]>=5.2.5")
command -v cfn-lint >/dev/null 2>&1 || py_missing+=("cfn-lint")
command -v schemathesis >/dev/null 2>&1 || py_missing+=("schemathesis==4.32.5")
command -v cargo-lambda >/dev/null 2>&1 || py_missing+=("cargo-lambda")
command -v sam >/dev/null 2>&1 || py_missing+=("aws-sam-cli")
if [ ${#py_missing[@]} -gt 0 ]; then
  log "installing from PyPI: ${py_missing[*]}"
  "$PY" -m pip install -q "${py_missing[@]}"
  hash -r
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
