#!/bin/sh
# The image's install steps, shared by the Dockerfile's build stage and CI's
# proof of them (.ci/delivery.sh), so both run the same commands:
#
#   install.sh deps SRC VENV WORK   third-party packages from the hash-pinned locks
#   install.sh app  SRC VENV WORK   llmgateway-client and llmgw as wheels, --no-deps
#
# SRC: the repository (requirements/, clients/python, pyproject.toml, server/);
# VENV: the runtime virtualenv; WORK: scratch (build tools, wheels).
set -eu
step="${1:?deps|app}"
src="${2:?source folder}"
venv="${3:?target virtualenv}"
work="${4:?scratch folder}"
python="${PYTHON:-python3}"
# No pip cache in the image layers; no version nagging.
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

case "$step" in
deps)
  "$python" -m venv "$work/build-tools"
  "$work/build-tools/bin/pip" install --no-deps --require-hashes -r "$src/requirements/build.lock"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --no-deps --require-hashes -r "$src/requirements/runtime.lock"
  ;;
app)
  rm -rf "$work/wheels"
  "$work/build-tools/bin/pip" wheel --no-deps \
    --no-build-isolation --wheel-dir "$work/wheels" "$src/clients/python" "$src"
  "$venv/bin/pip" install --no-deps "$work"/wheels/*.whl
  # Every requirement of every installed distribution is satisfied: a package
  # pyproject.toml needs but the lock lacks fails here.
  "$venv/bin/pip" check
  ;;
*)
  echo "install.sh: unknown step $step (deps|app)" >&2
  exit 2
  ;;
esac
