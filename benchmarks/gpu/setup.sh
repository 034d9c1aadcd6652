# Sourced by the GPU scripts beside it: the environment they run in on the `device` machine.
# Unpacks .whl/site.tar.xz (made by pack_site.sh) onto PYTHONPATH unless NOSITE is set (to run a
# script here, with PY=.venv/bin/python), and makes $OUT.
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false MUJOCO_GL=disable
if [ -z "${NOSITE:-}" ] && [ -f .whl/site.tar.xz ]; then
  tar xJf .whl/site.tar.xz -C /tmp && export PYTHONPATH=/tmp/site:$PWD/src
fi
PY=${PY:-python3}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
