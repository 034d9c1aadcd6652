#!/usr/bin/env bash
# Packs the packages the GPU machine's image lacks (its python3 is 3.12 and has jax, numpy,
# matplotlib, tqdm, imageio) into .whl/site.tar.xz, to travel with the `device` tool's
# `carry: [".whl"]`. dm_control's locomotion and dog assets are dropped: the suite's other
# domains do not load them, and the whole must stay under the tool's 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude || echo /.whl/ >> .git/info/exclude
tmp=$(mktemp -d)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$tmp/whl" \
  gymnasium==1.4.0 dm-control==1.0.50 mujoco==3.17.0 dm-env dm-tree glfw pyopengl \
  tensorboardX==2.6.5 farama-notifications flax==0.12.8 optax==0.2.8
mkdir -p "$tmp/site" .whl
(cd "$tmp/site" && for w in "$tmp"/whl/*.whl; do unzip -q -o "$w"; done)
rm -rf "$tmp"/site/dm_control/{locomotion,blender,manipulation,suite/dog_assets,suite/all_domains.png}
tar cJf .whl/site.tar.xz -C "$tmp" site
rm -rf "$tmp"
du -sh .whl/site.tar.xz
