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
# Config families (issue 14, configs2): DeepSpeed's lr_schedules (no compiled ops), Hydra/OmegaConf and
# Lightning CLI (jsonargparse) for the parity tests of the config readers.
DS_BUILD_OPS=0 python -m pip install -q "deepspeed==0.19.8" "hydra-core==1.3.8" "lightning==2.6.6" \
    "jsonargparse[signatures]>=4.27" "torch==2.13.0"
# Third-party schedulers the class simulations are compared with (they import beside torch 2.13; --no-deps keeps
# their torch requirement from pulling another torch).
python -m pip install -q --no-deps "warmup-scheduler==0.3" "pytorch-warmup==0.2.0" "pytorch-ignite==0.5.5"
# OpenMMLab / detectron2 config parity (tests/test_configs_*.py): mmengine's Config and ParamSchedulers, fvcore's
# ParamSchedulers. Without dependencies (mmengine would pull opencv; neither needs it for configs or schedulers),
# plus the light packages they import.
python -m pip install -q --no-deps "mmengine==0.10.7" "fvcore==0.1.5.post20221221" "addict==2.4.0" "yapf==0.43.0" \
  "termcolor==3.3.0" "platformdirs>=3" "rich>=13"
# bitsandbytes's optimizers, for tests/test_optimizer_library_signatures.py, which checks the catalog against the
# live classes in a process of its own (tests/golden/bitsandbytes_probe.py). It goes into .test-libs/, off the test
# process's path: transformers and accelerate import bitsandbytes whenever they can, and its SGD, Adam, ... then
# make Lightning CLI's short class names ambiguous. --no-deps keeps torch pinned.
python -m pip install -q --no-deps --upgrade --target "$(pwd)/.test-libs/bitsandbytes" "bitsandbytes==0.50.2"
