"""Regenerate the Python stubs in clients/python from proto/ (offline).

Uses grpcio-tools' bundled protoc plus mypy-protobuf for the .pyi files, because
remote buf plugins are unreachable from our build machines. The googleapis
messages (google.type.Money, google.rpc.*) come from googleapis-common-protos at
run time, so only our own package is generated. `.ci/run` calls this and fails
if the committed output differs. `buf generate` reaches the same code through
the plugin wrapper tools/protoc_gen_llmgw_python.py.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
OUT = ROOT / "clients" / "python"
PACKAGE_DIR = OUT / "llmgateway" / "v1"
HAND_WRITTEN = {"__init__.py", "py.typed"}


def sources() -> list[str]:
    """Our .proto files, relative to proto/."""
    return sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))


def run_protoc(out: Path, files: list[str]) -> int:
    """grpcio-tools' protoc: messages, gRPC stubs and their .pyi into ``out``."""
    bin_dir = Path(sys.executable).parent
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{ROOT / 'third_party' / 'googleapis'}",
        f"-I{Path(grpc_tools.__file__).parent / '_proto'}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *files,
    ]
    return protoc.main(args)


def main() -> int:
    for path in PACKAGE_DIR.glob("*"):
        if path.name not in HAND_WRITTEN and path.is_file():
            path.unlink()
    shutil.rmtree(PACKAGE_DIR / "__pycache__", ignore_errors=True)
    return run_protoc(OUT, sources())


if __name__ == "__main__":
    raise SystemExit(main())
