#!/usr/bin/env bash
# The deploy path, tested: `sam build --beta-features` builds every function of template.yaml for
# arm64 with cargo-lambda (release profile of Cargo.toml), then each artifact is checked: an
# aarch64 ELF `bootstrap`, its size, and what it links: each function links the AWS SDK crate of
# each AWS need it has (SQS for a queue, SES v2 for email, S3 for exports) and no other, a
# function without an AWS need links no SDK crate, nothing depends on aws-sigv4 directly (the SDK
# signs), and none carries chrono-tz's compiled zone tables (cold start, README). Called by
# test.sh; prints `deploy: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
export SAM_CLI_TELEMETRY=0 SAM_CLI_BETA_RUST_CARGO_LAMBDA=1
if [ -n "${SAM_BUILD_DIR:-}" ]; then
  build_dir=$SAM_BUILD_DIR
else
  build_dir=$(mktemp -d /tmp/sam-build.XXXXXX)
  trap 'rm -rf "$build_dir" "$build_dir.log" "$build_dir.needs.json"' EXIT
fi
# What each function needs (the function list, printed by local-api): test.sh hands it over
# in NEEDS_JSON, read before it may remove the debug build.
needs_json=${NEEDS_JSON:-}
if [ -z "$needs_json" ] || [ ! -s "$needs_json" ]; then
  needs_json="$build_dir.needs.json"
  cargo run -q -p devtools --bin local-api -- functions >"$needs_json"
fi
start=$(date +%s)
sam build --beta-features --build-dir "$build_dir" --template-file template.yaml >"$build_dir.log" 2>&1 \
  || { tail -40 "$build_dir.log"; echo "deploy: 0 passed, 1 failed"; exit 1; }
echo "sam build: $(( $(date +%s) - start )) s"
python3 - "$build_dir" "$needs_json" <<'PY'
import json, os, re, subprocess, sys
build = sys.argv[1]
# Which functions need which AWS service, from the function list itself (local-api prints it).
needs = json.loads(open(sys.argv[2]).read())
tmpl = open("template.yaml").read()
ids = re.findall(r"^  (\w+):\n    Type: AWS::Serverless::Function\n    Metadata:\n(?:      .*\n)*?        Binary: ([\w-]+)", tmpl, re.M)
ok = bad = 0
# The SDK crate each AWS need brings.
sdk_of_need = {
    "notifications queue": "aws-sdk-sqs",
    "calendar queue": "aws-sdk-sqs",
    "email (SES)": "aws-sdk-sesv2",
    "exports (S3)": "aws-sdk-s3",
}
sdk = ("aws-sdk-sqs", "aws-sdk-sesv2", "aws-sdk-s3")
# Nothing of ours names the signer: the SDK signs.
meta = json.loads(subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                                 check=True, capture_output=True, text=True).stdout)
direct = [p["name"] for p in meta["packages"]
          if any(d["name"] == "aws-sigv4" and d.get("kind") is None for d in p["dependencies"])]
if direct:
    print(f"depends on aws-sigv4 directly: {', '.join(direct)}"); bad += 1
print("| function | arm64 bootstrap MB | aws-sdk-sqs | aws-sdk-sesv2 | aws-sdk-s3 | chrono-tz |")
print("|---|---:|---|---|---|---|")
# Crate source paths (panic locations) show what a binary links.
for logical, binary in ids:
    path = os.path.join(build, logical, "bootstrap")
    problems = []
    if not os.path.exists(path):
        print(f"| {binary} | missing | | | | |"); bad += 1; continue
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or int.from_bytes(data[18:20], "little") != 0xB7:
        problems.append("not an aarch64 ELF")
    links = {k: (f"/{k}-".encode() in data) for k in sdk + ("chrono-tz",)}
    n = needs.get(binary, [])
    wanted = {sdk_of_need[x] for x in n if x in sdk_of_need}
    for crate in sdk:
        if crate in wanted and not links[crate]:
            problems.append(f"has an AWS need for {crate} but does not link it")
        if crate not in wanted and links[crate]:
            problems.append(f"links {crate} without a need for it")
    if links["chrono-tz"]: problems.append("links chrono-tz")
    mark = lambda b: "linked" if b else "—"
    print(f"| {binary} | {len(data)/1048576:.2f} | " + " | ".join(mark(links[c]) for c in sdk)
          + f" | {mark(links['chrono-tz'])} |" + (" **" + "; ".join(problems) + "**" if problems else ""))
    if problems: bad += 1
    else: ok += 1
if len(ids) != len(needs):
    print(f"template has {len(ids)} functions, the function list {len(needs)}"); bad += 1
print(f"deploy: {ok} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY
