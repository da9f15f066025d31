#!/usr/bin/env bash
# The deploy path, tested: `sam build --beta-features` builds every function of template.yaml for
# arm64 with cargo-lambda (release profile of Cargo.toml), then each artifact is checked: an
# aarch64 ELF `bootstrap`, its size, and what it links: no function carries the AWS SDK (AWS is
# called through `shared::aws`, SigV4 by aws-sigv4), only a function with an AWS need carries
# the signer, and none carries chrono-tz's compiled zone tables (cold start, README). Called by test.sh; prints `deploy: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
export SAM_CLI_TELEMETRY=0 SAM_CLI_BETA_RUST_CARGO_LAMBDA=1
build_dir=${SAM_BUILD_DIR:-$(mktemp -d /tmp/sam-build.XXXXXX)}
start=$(date +%s)
sam build --beta-features --build-dir "$build_dir" --template-file template.yaml >"$build_dir.log" 2>&1 \
  || { tail -40 "$build_dir.log"; echo "deploy: 0 passed, 1 failed"; exit 1; }
echo "sam build: $(( $(date +%s) - start )) s"
python3 - "$build_dir" <<'PY'
import json, os, re, subprocess, sys
build = sys.argv[1]
# Which functions need S3 / SES, from the function list itself (local-api prints it).
needs = json.loads(subprocess.run(
    ["./target/debug/local-api", "functions"], check=True, capture_output=True, text=True).stdout)
tmpl = open("template.yaml").read()
ids = re.findall(r"^  (\w+):\n    Type: AWS::Serverless::Function\n    Metadata:\n(?:      .*\n)*?        Binary: ([\w-]+)", tmpl, re.M)
ok = bad = 0
print("| function | arm64 bootstrap MB | AWS SDK | aws-sigv4 | chrono-tz |")
print("|---|---:|---|---|---|")
# Crate source paths (panic locations) show what a binary links; "aws-smithy-runtime-1." is the
# SDK's orchestrator (aws-sigv4 links only aws-smithy-runtime-api).
sdk = ("aws-sdk-s3-", "aws-sdk-sesv2-", "aws-sdk-sqs-", "aws-config-", "aws-smithy-runtime-1.")
aws_needs = {"exports (S3)", "email (SES)", "notifications queue", "calendar queue"}
for logical, binary in ids:
    path = os.path.join(build, logical, "bootstrap")
    problems = []
    if not os.path.exists(path):
        print(f"| {binary} | missing | | | |"); bad += 1; continue
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or int.from_bytes(data[18:20], "little") != 0xB7:
        problems.append("not an aarch64 ELF")
    links = {k: (f"/{k}".encode() in data) for k in sdk + ("aws-sigv4-", "chrono-tz-")}
    n = needs.get(binary, [])
    linked_sdk = [k.rstrip("-.1") for k in sdk if links[k]]
    if linked_sdk: problems.append("links the AWS SDK (" + ", ".join(linked_sdk) + ")")
    if links["aws-sigv4-"] and not aws_needs & set(n): problems.append("links aws-sigv4 without an AWS need")
    if links["chrono-tz-"]: problems.append("links chrono-tz")
    mark = lambda b: "linked" if b else "—"
    print(f"| {binary} | {len(data)/1048576:.2f} | {mark(bool(linked_sdk))} | {mark(links['aws-sigv4-'])} | {mark(links['chrono-tz-'])} |"
          + (" **" + "; ".join(problems) + "**" if problems else ""))
    if problems: bad += 1
    else: ok += 1
if len(ids) != len(needs):
    print(f"template has {len(ids)} functions, the function list {len(needs)}"); bad += 1
print(f"deploy: {ok} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY
