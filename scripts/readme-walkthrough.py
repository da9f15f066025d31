#!/usr/bin/env python3
"""Runs the README's worked examples, top to bottom, against a fresh local-api.

The commands are read from README.md itself (never copied here): every ```sh block that talks to
the local stack (it names 127.0.0.1:3000 or `local-api -- invoke`), in the order written. The
line that starts the server and the `export …_TOKEN=...` line are the reader's own steps; this
script does them: it starts local-api the README's way (`cargo run -p devtools --bin local-api`)
on a free port against a fresh database with the demo data, and takes the tokens it prints.

A placeholder the reader fills from an earlier answer (`<a start>`) is filled with the first
`start` of the latest answer that has one; none → the command fails. A command passes when it
exits 0, an HTTP answer's status is below 400, and a `local-api invoke` prints one JSON document.

Needs TEST_DATABASE_URL (a server where it may create a database). Prints `readme: N passed,
M failed` and exits 1 on a failure.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README_BASE = "127.0.0.1:3000"
SERVER_START = {"cargo run -p devtools --bin local-api", "./scripts/dev.sh"}
PLACEHOLDER = re.compile(r"<a ([A-Za-z]+)>")
STATUS_MARK = "\n@@status:"


def sh_blocks(text):
    """(first line number, lines) of each ```sh block."""
    out, block, start = [], None, 0
    for n, line in enumerate(text.splitlines(), 1):
        if block is None and line.strip() == "```sh":
            block, start = [], n + 1
        elif block is not None and line.strip() == "```":
            out.append((start, block))
            block = None
        elif block is not None:
            block.append((n, line))
    return out


def without_comment(line):
    """The line without a trailing ` # comment` (the README's commands quote no ` #`)."""
    return re.sub(r"\s+#\s.*$", "", line)


def is_walkthrough(lines):
    """A block of commands for the local stack: one of its commands (comments aside) names
    127.0.0.1:3000 or runs `local-api -- invoke`."""
    code = "\n".join(without_comment(line) for _, line in lines if not line.strip().startswith("#"))
    return README_BASE in code or "--bin local-api -- invoke" in code


def commands(lines):
    """(line number, command) of each command: comment lines dropped, a line ending in `\\` or
    `|` continued on the next, the server start and the token exports left to this script."""
    out, current, first = [], [], 0
    for n, line in lines:
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if not current:
            first = n
        current.append(line)
        if stripped.endswith("\\") or stripped.endswith("|"):
            continue
        command = "\n".join(current)
        current = []
        if without_comment(command).strip() in SERVER_START:
            continue
        if re.fullmatch(r"export [A-Z_]+_TOKEN=\.\.\.", command.strip()):
            continue
        out.append((first, command))
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_key(value, key):
    """The first value of `key`, depth first."""
    if isinstance(value, dict):
        if key in value and isinstance(value[key], (str, int, float)):
            return value[key]
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = find_key(child, key)
        if found is not None:
            return found
    return None


def fill(command, answers):
    """The command with each `<a key>` filled from the latest answer that has that key."""
    missing = []

    def one(m):
        for answer in reversed(answers):
            found = find_key(answer, m.group(1))
            if found is not None:
                return str(found)
        missing.append(m.group(0))
        return m.group(0)

    return PLACEHOLDER.sub(one, command), missing


def main():
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        print("readme: TEST_DATABASE_URL is not set")
        return 2
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    steps = [c for _, lines in sh_blocks(readme) if is_walkthrough(lines) for c in commands(lines)]
    if not steps:
        print("readme: no walkthrough commands found in README.md")
        return 1

    db = "readme_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {db}"], check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": admin_url.rsplit("/", 1)[0] + "/" + db,
        "LOCAL_API_SEED_DEMO": "1",
        "PORT": str(port),
    })
    # The walkthrough's local stack knows no queue, mail or AWS endpoint of the test run.
    for name in ("NOTIFICATIONS_QUEUE_URL", "CALENDAR_QUEUE_URL", "EMAIL_FROM", "ADMIN_ALERT_EMAIL"):
        env.pop(name, None)
    log_path = os.path.join(ROOT, "target", f"readme-walkthrough-{db}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    log = open(log_path, "w")
    server = subprocess.Popen(["cargo", "run", "-q", "-p", "devtools", "--bin", "local-api"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    tokens = {}
    passed = failed = 0
    try:
        deadline = time.time() + 600
        while time.time() < deadline and server.poll() is None:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if "listening on" in text and "COACH_TOKEN=" in text:
                tokens = dict(re.findall(r"^([A-Z]+_TOKEN)=(\S+)$", text, re.M))
                break
            time.sleep(0.2)
        if not tokens:
            print("readme: local-api did not start; its output:")
            with open(log_path, encoding="utf-8", errors="replace") as f:
                print(f.read()[-3000:])
            return 1
        env.update(tokens)
        prelude = f"curl() {{ command curl -sS -w '{STATUS_MARK}%{{http_code}}' \"$@\"; }}\n"
        answers = []
        for line, command in steps:
            run, missing = fill(command.replace(README_BASE, f"127.0.0.1:{port}"), answers)
            label = f"README.md:{line}"
            if missing:
                failed += 1
                print(f"FAIL {label}: nothing earlier answered {', '.join(missing)}")
                continue
            # Its own process group, so a command that hangs is stopped with everything it started.
            p = subprocess.Popen(["bash", "-c", prelude + run], cwd=ROOT, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
            try:
                out, err = p.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out, err = p.communicate()
            problems = []
            if p.returncode != 0:
                problems.append(f"exit {p.returncode}")
            statuses = [int(s) for s in re.findall(re.escape(STATUS_MARK) + r"(\d{3})", out)]
            body = re.sub(re.escape(STATUS_MARK) + r"\d{3}", "", out).strip()
            if "curl " in run and not statuses:
                problems.append("no HTTP answer")
            problems += [f"HTTP {s}" for s in statuses if s >= 400]
            try:
                answer = json.loads(body) if body else None
            except ValueError:
                answer = None
                if "invoke" in run:
                    problems.append("the result is not one JSON document")
            if answer is not None:
                answers.append(answer)
            first_line = command.strip().splitlines()[0][:100]
            if problems:
                failed += 1
                print(f"FAIL {label}: {first_line}\n     {'; '.join(problems)}\n     {body[:600]}")
                if err.strip():
                    print("     " + err.strip()[-600:])
            else:
                passed += 1
                print(f"ok   {label}: {first_line}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        subprocess.run(["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if failed == 0:
        os.remove(log_path)
    else:
        print(f"readme: local-api's output is in {log_path}")
    print(f"readme: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
