#!/usr/bin/env bash
# For the `device` tool (issue 17): SAC and DreamerV3 end to end side by side on the GPU, paper presets.
set -u
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false MUJOCO_GL=disable
tar xJf .whl/site.tar.xz -C /tmp && export PYTHONPATH=/tmp/site:$PWD/src  # from pack_site.sh
OUT=${OUT:-/tmp/out}; mkdir -p $OUT
cd benchmarks
N="H200 GPU (device tool), jax 0.11.2 cuda13, one process at a time"
timeout 60 python3 throughput.py --agent sac --preset paper --envs dmc:cartpole-swingup dmc:cheetah-run --steps 1000 --repeats 2 --note "$N" --out $OUT/throughput_gpu_sac_paper.json > $OUT/tp_sac.log 2>&1
tail -n 3 $OUT/tp_sac.log
timeout 150 python3 throughput.py --agent dreamerv3 --preset paper --envs dmc:cartpole-swingup --steps 1000 --repeats 2 --note "$N" --out $OUT/throughput_gpu_dreamerv3_paper.json > $OUT/tp_dv3.log 2>&1
tail -n 3 $OUT/tp_dv3.log
timeout 80 python3 dreamer_timing.py --env dmc:cheetah-run paper 2>&1 | tee $OUT/timing_cheetah.txt
