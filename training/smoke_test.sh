#!/usr/bin/env bash
# CI smoke test of the Python training pipeline (after: pip install -r training/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")"
exec python3 smoke_test.py "$@"
