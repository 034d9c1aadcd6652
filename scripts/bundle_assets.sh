#!/usr/bin/env bash
# Bundle an expert and its 10-episode demonstrations into the package.
# Usage: scripts/bundle_assets.sh ENV_ID EXPERT_DIR [SMILING_DEMOS_OPTION ...]
# (e.g. --deterministic: Hopper-v5's demonstrations are the mean action's, see experts.md)
# Copies the expert's small files (not its checkpoint) to src/smiling/assets/experts/<slug>/ and
# regenerates src/smiling/assets/demos/<slug>.npz with `smiling demos` from that copy.
set -euo pipefail
env_id=$1
expert=$2
shift 2
slug=${env_id//:/_}
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/src/smiling/assets/experts/$slug
mkdir -p "$dest" "$root/src/smiling/assets/demos"
cp "$expert"/{config.json,actor.msgpack,eval.csv,summary.json} "$dest"/
"$root/.venv/bin/smiling" demos --expert "$dest" --episodes 10 --seed 0 \
  --out "$root/src/smiling/assets/demos/$slug.npz" --overwrite "$@"
