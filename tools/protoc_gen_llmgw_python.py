"""protoc/buf plugin: the Python stubs of tools/generate_python_stubs.py.

protoc's Python generator is built into protoc, not a plugin, and the Debian
protoc is older than the protobuf runtime we ship, so buf cannot produce our
Python stubs directly. This wrapper reads the CodeGeneratorRequest, runs
grpcio-tools' protoc (plus mypy-protobuf) on the requested files from proto/
into a temporary directory and answers with every file it wrote, so
``buf generate`` and ``python tools/generate_python_stubs.py`` give byte-identical
output. Use with ``strategy: all`` (one invocation for the whole module).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from google.protobuf.compiler import plugin_pb2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_python_stubs import run_protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory(prefix="llmgw-python-stubs-") as tmp:
        out = Path(tmp)
        if not request.file_to_generate:
            pass  # another input's files only (see tools/protoc_plugin_only.py)
        elif run_protoc(out, sorted(request.file_to_generate)) != 0:
            response.error = "grpcio-tools protoc failed (see stderr)"
        else:
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                response.file.add(
                    name=path.relative_to(out).as_posix(), content=path.read_text("utf-8")
                )
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
