"""Reads an /api/generate event stream (serve_api.sh): prints prompt + final text + newline, as `pluma generate`
prints it. Complains on stderr when the stream is malformed or its token texts do not add up to the final text."""
import json
import sys

raw = open(sys.argv[1], encoding="utf-8").read()
joined, done = "", None
for block in raw.split("\n\n"):
    if not block:
        continue
    lines = block.split("\n")
    if len(lines) != 2 or not lines[0].startswith("event: ") or not lines[1].startswith("data: "):
        print("malformed event: " + repr(block[:200]), file=sys.stderr)
        continue
    data = json.loads(lines[1][len("data: "):])
    if lines[0] == "event: token":
        joined += data["text"]
    elif lines[0] == "event: done":
        done = data
if done is None:
    print("no done event", file=sys.stderr)
    sys.exit(1)
if joined != done["text"]:
    print("token texts do not add up to the final text", file=sys.stderr)
sys.stdout.write(done["prompt"] + done["text"] + "\n")
