#!/usr/bin/env python3
"""Prints one function answer (JSON on stdin) with what changes from run to run masked: ids,
instants, dates, tokens, signed links and durations. Used by smoke-events.sh's ANSWERS file."""
import json
import re
import sys

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
TOKEN = re.compile(r"(token=|/r/|X-Amz-[A-Za-z]+=)[^&\"\s]+")
VARYING_KEYS = {"durationMs", "elapsedMs", "tookMs", "runAt", "now", "generatedAt", "expiresAt"}


def mask(value):
    if isinstance(value, dict):
        return {k: ("<varies>" if k in VARYING_KEYS else mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        s = UUID.sub("<id>", value)
        s = TOKEN.sub(lambda m: m.group(1) + "<token>", s)
        return INSTANT.sub("<time>", s)
    return value


answer = json.load(sys.stdin)
if isinstance(answer, dict) and isinstance(answer.get("body"), str):
    try:
        answer["body"] = json.loads(answer["body"])
    except ValueError:
        pass
    answer.get("headers", {}).pop("x-request-id", None)
print(sys.argv[1], json.dumps(mask(answer), sort_keys=True))
