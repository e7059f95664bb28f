#!/usr/bin/env bash
# Client toolchains and generated-code checks for Go, TypeScript and Python
# (issue 15). Called by .ci/run with the project venv active (buf, grpcio-tools,
# mypy-protobuf come from it). Idempotent: installs only what is missing.
# The live client tests themselves (tests/clients) run in .ci/run's pytest step.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== clients: %s\n' "$*"; }
started=$SECONDS

step "toolchains (Debian: Go in GOPATH mode, protoc plugins, Node)"
# golang-github-golang-protobuf-1-5-dev, NOT apt's default 1-3: 1.3 panics at
# run time on the new-style oneofs of the generated code.
packages=(golang-go golang-google-grpc-dev golang-google-genproto-dev
  golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
go version
node --version

step "npm ci (clients/typescript, from package-lock.json)"
(cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error)

step "buf generate + tsc reproduce the committed clients"
# Remove generated output first so stale files (a deleted .proto) show up too.
rm -f clients/go/llmgateway/v1/*.pb.go
rm -rf clients/typescript/src/gen clients/typescript/dist
find clients/python/llmgateway/v1 -maxdepth 1 -type f -name '*_pb2*' -delete
buf generate
(cd clients/typescript && npm run --silent build)
changed="$(git status --porcelain -- clients/go clients/typescript clients/python)"
if [ -n "$changed" ]; then
  echo "$changed"
  git diff --stat -- clients/go clients/typescript clients/python
  echo "generated clients differ from proto/: run buf generate and" \
    "(cd clients/typescript && npm run build), then commit" >&2
  exit 1
fi

step "go build (GOPATH mode against /usr/share/gocode; no module proxy)"
gopath="$(mktemp -d)"
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/github.com/llmgw/llmgw"
ln -s "$PWD/clients" "$gopath/src/github.com/llmgw/llmgw/clients"
export GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS="" GOPROXY=off
go vet github.com/llmgw/llmgw/clients/go/llmgateway/v1 github.com/llmgw/llmgw/clients/go/examples/chat
go build -o "$gopath/chat" github.com/llmgw/llmgw/clients/go/examples/chat

echo "clients: toolchains, generation and builds took $((SECONDS - started)) s"
