"""The Sheets API v4 discovery document: request-body and query validation, URL routes.

Bodies and query parameters are checked against Google's own discovery document
(``googleapiclient/discovery_cache/documents/sheets.v4.json``): unknown fields, wrong
types and bad enum values give 400 INVALID_ARGUMENT in Google's error shape.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any



@cache
def discovery() -> dict:
    import googleapiclient

    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "sheets.v4.json"
    return json.loads(path.read_text(encoding="utf-8"))


class ApiError(Exception):
    """An error reply: HTTP status plus Google's ``{"error": {...}}`` body."""

    def __init__(self, code: int, status: str, message: str, field_path: str | None = None):
        super().__init__(message)
        self.code, self.status, self.message, self.field_path = code, status, message, field_path

    def body(self) -> dict:
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.field_path is not None:
            err["details"] = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                               "fieldViolations": [{"field": self.field_path, "description": self.message}]}]
        return {"error": err}


def bad_request(message: str, field_path: str | None = None) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message, field_path)


_PROTO_TYPE = {"array": "google.protobuf.ListValue", "object": "google.protobuf.Struct",
               "string": "TYPE_STRING", "boolean": "TYPE_BOOL", "integer": "TYPE_INT32", "number": "TYPE_DOUBLE"}


def validate_body(value: Any, schema: dict, path: str) -> None:
    """Walk ``value`` against a discovery schema ($ref, type, properties, items, enum,
    additionalProperties). JSON null is accepted anywhere (protobuf reads it as unset)."""
    if value is None:
        return
    if "$ref" in schema:
        schema = discovery()["schemas"][schema["$ref"]]
    kind = schema.get("type", "object" if "properties" in schema else "any")

    def wrong() -> ApiError:
        return bad_request(f"Invalid value at '{path}' (type.googleapis.com/{_PROTO_TYPE.get(kind, kind)}), "
                           f"{json.dumps(value, ensure_ascii=False)}", path)

    if kind == "any":
        return
    if kind == "object":
        if not isinstance(value, dict):
            raise wrong()
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            if key in props:
                validate_body(item, props[key], sub)
            elif extra is not None:
                validate_body(item, extra, sub)
            else:
                raise bad_request(f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': "
                                  f"Cannot find field.", path)
    elif kind == "array":
        if not isinstance(value, list):
            raise wrong()
        for i, item in enumerate(value):
            validate_body(item, schema.get("items", {"type": "any"}), f"{path}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            # int64 fields are strings in discovery but protobuf JSON also takes numbers
            if not (schema.get("format") in ("int64", "uint64") and isinstance(value, int)
                    and not isinstance(value, bool)):
                raise wrong()
        if "enum" in schema and value not in schema["enum"]:
            raise wrong()
    elif kind == "integer":
        ok = (isinstance(value, int) and not isinstance(value, bool)) or \
             (isinstance(value, float) and value.is_integer()) or \
             (isinstance(value, str) and re.fullmatch(r"-?\d+", value))
        if not ok:
            raise wrong()
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong()
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise wrong()


def validate_query(query: dict[str, list[str]], method: dict) -> None:
    specs = {k: v for k, v in method.get("parameters", {}).items() if v.get("location") == "query"}
    specs.update(discovery()["parameters"])
    for name, values in query.items():
        spec = specs.get(name)
        if spec is None:
            raise bad_request(f"Invalid JSON payload received. Unknown name \"{name}\": Cannot bind query "
                              f"parameter. Field '{name}' could not be found in request message.")
        if len(values) > 1 and not spec.get("repeated"):
            raise bad_request(f"Invalid value at '{name}': repeated {len(values)} times")
        for v in values:
            ok = {"boolean": v.lower() in ("true", "false"),
                  "integer": re.fullmatch(r"-?\d+", v) is not None}.get(spec.get("type"), True)
            if not ok or ("enum" in spec and v not in spec["enum"]):
                raise bad_request(f"Invalid value at '{name}' ({spec.get('type')}), \"{v}\"", name)


@cache
def routes() -> list[tuple[str, re.Pattern, dict]]:
    out = []

    def walk(resources: dict) -> None:
        for res in resources.values():
            for m in res.get("methods", {}).values():
                pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/:]+)", re.escape("/" + m["flatPath"]))
                out.append((m["httpMethod"], re.compile(pattern + "$"), m))
            walk(res.get("resources", {}))

    walk(discovery()["resources"])
    return out
