#!/usr/bin/env bash
# Contract fuzzing (Schemathesis) against a live server; see tools/contract/run.py for what it does.
# Usage: tools/contract/run.sh [--max-examples N] [--workers N] [--seed N] [-- extra schemathesis args]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-.venv/bin/python}" tools/contract/run.py "$@"
