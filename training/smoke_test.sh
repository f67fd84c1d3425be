#!/usr/bin/env bash
# CI smoke run of the Python training pipeline (after: pip install -r training/requirements.txt):
# the scripts end to end on synthetic data, then the full recipe in --smoke mode (200 real inks
# per featurized file, one epoch per stage; needs target/release/inkjot and ../shared/data).
set -euo pipefail
cd "$(dirname "$0")"
python3 smoke_test.py "$@"
python3 recipe.py --smoke
