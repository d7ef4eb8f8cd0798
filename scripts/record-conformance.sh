#!/usr/bin/env bash
# Records test/conformance/golden.json afresh from the real DRF reference app:
# starts it on a free loopback port, replays test/conformance/cases.json
# against it, and writes what it answered.
#   scripts/record-conformance.sh [path/to/reference/drf]   (default: ../shared/reference/drf)
# Needs: apt-get install -y python3-django python3-djangorestframework
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
reference="${1:-$repo/../shared/reference/drf}"
[ -x "$reference/start.sh" ] || { echo "no DRF reference at $reference (pass its directory)" >&2; exit 2; }
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
db_dir=$(mktemp -d)
DRF_DB_DIR="$db_dir" "$reference/start.sh" "$port" >"$db_dir/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$db_dir"' EXIT
for _ in $(seq 1 100); do
  if node -e 'require("net").connect(process.argv[1],"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))' "$port"; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$db_dir/server.log" >&2; exit 1; }
  sleep 0.2
done
node "$repo/test/conformance/conform.mjs" --url "http://127.0.0.1:$port" --record "$repo/test/conformance/golden.json"
