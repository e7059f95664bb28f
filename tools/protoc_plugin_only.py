"""Run a protoc plugin on part of a buf input: ``protoc_plugin_only.py PREFIX PLUGIN [ARGS]``.

buf.gen.yaml's inputs are shared by every plugin. The TypeScript package also
needs google/rpc/error_details.proto (there is no canonical npm package for the
googleapis types), but Go takes those types from google.golang.org/genproto.
This wrapper passes PLUGIN the CodeGeneratorRequest with ``file_to_generate``
cut to the files under PREFIX (imports stay available as dependencies) and
returns PLUGIN's response unchanged.
"""

from __future__ import annotations

import subprocess
import sys

from google.protobuf.compiler import plugin_pb2


def main() -> int:
    prefix, *plugin = sys.argv[1:]
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    kept = [name for name in request.file_to_generate if name.startswith(prefix)]
    del request.file_to_generate[:]
    request.file_to_generate.extend(kept)
    result = subprocess.run(plugin, input=request.SerializeToString(), capture_output=True)
    sys.stderr.buffer.write(result.stderr)
    sys.stdout.buffer.write(result.stdout)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
