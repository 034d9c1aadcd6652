#!/usr/bin/env bash
# For the `device` tool (issue 17): one learning run that spans several device sessions, each of
# which has minutes, not the half hour a DreamerV3 run at DreamerV3's own DMC train ratio needs.
#
# Usage: bash benchmarks/gpu/learn_resumable.sh SECONDS NAME [smiling train options...]
#   with carry [".whl", ".gpu/runs/NAME"] (.whl: pack_site.sh; .gpu/ is git-ignored).
# If .gpu/runs/NAME holds a run carried from an earlier session, it is resumed (`smiling resume`);
# otherwise `smiling train OPTIONS --out .gpu/runs/NAME` starts it. Either way it is stopped
# with Ctrl-C (SIGINT: the loop stops between environment steps) after SECONDS, and the run
# directory comes back as $OUT/NAME.tgz, TensorBoard files and the older checkpoint left out. Unpack it here with
#   tar xzf <files_at>/NAME.tgz -C .gpu/runs
# to carry it to the next session. A stopped run resumes from its newest checkpoint, so pass a
# --checkpoint-every that an interruption may lose (a minute or two of device time).
# What can travel: files back from $OUT are at most 16 MiB each, so only a small model's run
# can be carried: the `fast` model's checkpoint is about 15 MB (state 12 MB, replay 3 MB at 80k
# rows), DreamerV3's `dmc_proprio` model's (deter 512, MLPs 2 x 512, 32 x 32 latents) 119 MB.
# Example: the fast model on DreamerV3's own DMC data schedule (its 2023 `dmc_proprio`: 16 x 64
# batches, train ratio 512 per decision, action repeat 2), cartpole-swingup, true reward;
# --steps counts decisions (50000: 100k simulator steps):
#   bash benchmarks/gpu/learn_resumable.sh 420 dv3-fast-proprio-s0 --method rl --agent dreamerv3 \
#     --preset fast --action-repeat 2 --env dmc:cartpole-swingup --seed 0 --steps 50000 \
#     --eval-every 2500 --eval-episodes 5 --checkpoint-every 2500 --set agent.batch_length=64 \
#     --set agent.train_ratio=512
set -u
LEARN_S=${1:?seconds}
NAME=${2:?name}
shift 2
source "$(dirname "$0")/setup.sh"
RUN=.gpu/runs/$NAME
mkdir -p .gpu/runs
if [ -f "$RUN/config.json" ]; then
  echo "resuming $RUN"
  timeout -s INT "$LEARN_S" $PY -m smiling.cli resume "$RUN" > "$OUT/log-$NAME.txt" 2>&1
else
  echo "starting $RUN"
  timeout -s INT "$LEARN_S" $PY -m smiling.cli train "$@" --out "$RUN" > "$OUT/log-$NAME.txt" 2>&1
fi
echo "exit $? (124 or 130: stopped at the time limit)"
tail -n 5 "$OUT/log-$NAME.txt"
[ -f "$RUN/eval.csv" ] && tail -n 3 "$RUN/eval.csv"
tar czf "$OUT/$NAME.tgz" --exclude=tb --exclude=checkpoint.old -C .gpu/runs "$NAME"
ls -la "$OUT"
