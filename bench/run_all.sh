#!/usr/bin/env bash
# Run every benchmark in bench/; each prints its figures and the machine it ran on, and keeps the
# figures in bench/results/latest.json. Benchmarks that need PostgreSQL start a throw-away server
# themselves (bench/common.py throwaway_postgres, durable settings: fsync on).
# Usage, from the project folder: bench/run_all.sh
set -euo pipefail
source "$(dirname "$0")/../scripts/setup.sh"   # .venv, and cd to the project folder
unset DATABASE_URL
rm -f bench/results/latest.json
status=0
for script in bench/*.py; do
  name=$(basename "$script" .py)
  case "$name" in __init__|common|meter|_*) continue ;; esac
  echo
  .venv/bin/python -m "bench.$name" || { echo "!! bench/$name.py failed"; status=1; }
done
echo
echo "Figures kept in bench/results/latest.json"
exit $status
