"""``google.protobuf.Struct`` -> plain JSON values, numbers as the caller wrote them.

``json_format.MessageToDict`` turns every number into a float (``100`` goes
upstream as ``100.0``, which strict servers refuse for integer fields) and
fails on NaN. Here integral doubles come back as ``int``
(``domain.backend_parameters.json_number``) and NaN stays a float for the
validation rules to refuse: nothing here raises on caller input.
"""

from __future__ import annotations

from google.protobuf import struct_pb2

from llmgw.domain.backend_parameters import json_number


def struct_values(struct: struct_pb2.Struct) -> dict[str, object]:
    """The Struct as a dict of plain values (``None``, bool, int/float, str, list, dict)."""
    return {key: _value(value) for key, value in struct.fields.items()}


def _value(value: struct_pb2.Value) -> object:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return json_number(value.number_value)
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return struct_values(value.struct_value)
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    return None  # null_value, or unset
