#!/usr/bin/env bash
# For the `device` tool (issue 17): the paper preset's train step on a GPU, and two short
# paper-preset learning runs on dmc:cartpole-swingup (true reward and SMILING).
# Usage: bash benchmarks/gpu/learn_paper.sh SECONDS, with carry [".whl"] (setup.sh).
# METHODS (method specs, default: both; ALGOS, its old name, is read too) and SEEDS (default: 0)
# choose the runs, all side by side on the one GPU;
# TIMING=none skips the train step's timing (recorded once already: results/dreamer_timing/dreamer_timing.jsonl).
set -u
LEARN_S=${1:-380}
source "$(dirname "$0")/setup.sh"
$PY -c "import jax, flax, optax, mujoco, dm_control, gymnasium; print(jax.__version__, flax.__version__, optax.__version__, mujoco.__version__, jax.devices())" || exit 3
nvidia-smi --query-gpu=name,memory.used --format=csv 2>/dev/null
# The train step's time, alone on the GPU.
if [ "${TIMING:-paper}" != none ]; then
  timeout 150 $PY benchmarks/dreamer_timing.py ${TIMING:-paper} 2>&1 | tee $OUT/timing.txt
fi
# The learning runs side by side, each bounded by `timeout`.
mkdir -p runs
for method in ${METHODS:-${ALGOS:-rl@dreamerv3 smiling@dreamerv3}}; do
  for seed in ${SEEDS:-0}; do
    timeout -s INT $LEARN_S $PY -m smiling.cli train --method $method --env dmc:cartpole-swingup \
      --preset ${PRESET:-paper} --seed $seed --steps ${STEPS:-300000} --eval-every 10000 \
      --eval-episodes 3 --checkpoint-every 1000000 --out runs/gpu-$method-s$seed \
      > $OUT/log-${method%@*}-s$seed.txt 2>&1 &
  done
done
wait
for d in runs/gpu-*; do ls $d; done
tar czf $OUT/runs.tgz --exclude=checkpoint --exclude=model --exclude=tb runs
nvidia-smi --query-gpu=name,memory.used --format=csv 2>/dev/null
