#!/usr/bin/env bash
# Install lraudit with its test extras into the active Python environment.
#  - torch is pinned to 2.13.0 (the CPU build; other versions download gigabytes),
#  - timm is installed without dependencies: its torchvision dependency does not load beside this torch,
#    and lraudit only needs timm's scheduler modules for the parity tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q --upgrade pip
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[test,plot,frameworks]" "torch==2.13.0"
python -m pip install -q --no-deps "timm==1.0.31"
