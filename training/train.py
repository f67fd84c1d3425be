#!/usr/bin/env python3
"""Train the inkjot bi-QRNN. See training/README.md.  python3 training/train.py --help"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
warnings.filterwarnings("ignore", category=FutureWarning)

from inkjot_train.trainer import main

if __name__ == "__main__":
    sys.exit(main())
