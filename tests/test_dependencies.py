"""The package's declared dependencies match what its code imports (issue #14)."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import files, packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = [ROOT / "sheets_automation", ROOT / "jobs"]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _providers(module: str, dists: dict[str, list[str]]) -> list[str]:
    """The distribution(s) of a dotted module; for a namespace package shared by several
    (``google``), the one shipping the sub-package (``google.auth`` → google-auth)."""
    parts = module.split(".")
    candidates = dists.get(parts[0], [parts[0]])
    if len(candidates) == 1 or len(parts) == 1:
        return candidates
    prefix = "/".join(parts[:2]) + "/"
    return [d for d in candidates if any(str(f).startswith(prefix) for f in files(d) or ())]


def imported_distributions() -> set[str]:
    """Distributions providing the third-party modules imported anywhere in the product code."""
    dists = packages_distributions()
    modules: set[str] = set()
    for folder in CODE:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module)
    third_party = {m for m in modules if m.split(".")[0] not in {*sys.stdlib_module_names, "sheets_automation",
                                                                  "__future__"}}
    return {d.lower().replace("_", "-") for m in third_party for d in _providers(m, dists)}


def test_every_import_is_declared_and_every_declared_dependency_is_imported():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = {_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    optional = {_name(r) for extra in ("report", "distributed") for r in extras[extra]}
    imported = imported_distributions()
    assert imported - required - optional == set(), "imported but not declared"
    assert required - imported == set(), "declared but never imported"
