#!/usr/bin/env bash
# For the `device` tool (issue 17): SAC and DreamerV3 end to end side by side on the GPU, at
# their paper presets. Usage: bash benchmarks/gpu/throughput_paper.sh, with carry [".whl"].
set -u
source "$(dirname "$0")/setup.sh"
cd benchmarks
N="H200 GPU (device tool), jax 0.11.2 cuda13, one process at a time"
# SMILING + SAC runs at about 30 steps/s there: 2 envs x 2 repeats x 1000 steps need ~150 s
timeout 240 $PY throughput.py --agent sac --preset paper --envs dmc:cartpole-swingup dmc:cheetah-run --steps 1000 --repeats 2 --note "$N" --out $OUT/throughput_gpu_sac_paper.json > $OUT/tp_sac.log 2>&1
tail -n 3 $OUT/tp_sac.log
timeout 150 $PY throughput.py --agent dreamerv3 --preset paper --envs dmc:cartpole-swingup --steps 1000 --repeats 2 --note "$N" --out $OUT/throughput_gpu_dreamerv3_paper.json > $OUT/tp_dv3.log 2>&1
tail -n 3 $OUT/tp_dv3.log
timeout 80 $PY dreamer_timing.py --env dmc:cheetah-run paper 2>&1 | tee $OUT/timing_cheetah.txt
