#!/usr/bin/env python3
"""Export a training checkpoint to models/<name>.safetensors (f32) and models/<name>-int8.safetensors.

  python3 training/export.py --checkpoint training/runs/inkjot-qrnn/best.pt --name inkjot-qrnn \
      --valid data-cache/valid.safetensors
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch

from inkjot_train.data import load_inkset
from inkjot_train.trainer import REPO_ROOT, export_checkpoint


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="best.pt or last.pt from a run dir")
    ap.add_argument("--name", default="inkjot-qrnn")
    ap.add_argument("--export-dir", default=os.path.join(REPO_ROOT, "models"))
    ap.add_argument("--valid", help="featurize file; the measured CER goes into the metadata (valid_cer)")
    ap.add_argument("--valid-subset", type=int, default=0, help="evaluate on a random subset (0 = all)")
    ap.add_argument("--trained", default="", help="description for the metadata")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    valid = load_inkset(a.valid) if a.valid else None
    trained = a.trained or f"exported from {a.checkpoint}"
    export_checkpoint(a.checkpoint, a.export_dir, a.name, valid=valid, valid_subset=a.valid_subset, trained=trained)
    return 0


if __name__ == "__main__":
    sys.exit(main())
