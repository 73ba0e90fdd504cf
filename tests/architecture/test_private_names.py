"""A module's `_private` names are its own: no shipped module reaches into another one's
(`service._event(...)`, `from cases.service import _event`). What others need gets a public
name in the module that owns it. Read with `ast` from every shipped file."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from saphan.paths import ROOT

from .code_scan import plant_tree, python_files, shipped_packages


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(root: Path, packages: Iterable[str]) -> list[str]:
    """`module:line uses other._name` for every use of another project module's private name:
    an attribute of an imported module, or a private name imported from one."""
    files = list(python_files(root, packages))
    modules = {module for module, _ in files}
    found = []
    for module, path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        bound: dict[str, str] = {}  # local name -> project module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                bound.update((a.asname or a.name.split(".")[0], a.name) for a in node.names
                             if a.name in modules and (a.asname or "." not in a.name))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if f"{node.module}.{alias.name}" in modules:
                        bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                    elif node.module in modules and _private(alias.name):
                        found.append(f"{module}:{node.lineno} imports {node.module}.{alias.name}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and bound.get(node.value.id, module) != module and _private(node.attr)):
                found.append(f"{module}:{node.lineno} uses {bound[node.value.id]}.{node.attr}")
    return sorted(found)


def test_no_module_uses_another_modules_private_names() -> None:
    assert private_uses(ROOT, shipped_packages(ROOT)) == []


def test_planted_private_uses_are_caught(tmp_path: Path) -> None:
    plant_tree(tmp_path, ["pkg"], {
        "pkg/owner.py": "def _helper():\n    pass\n\ndef public():\n    _helper()\n",
        "pkg/attr.py": "from pkg import owner\n\nowner._helper()\nowner.public()\n",
        "pkg/named.py": "from pkg.owner import _helper, public\n",
        "pkg/dotted.py": "import pkg.owner as o\n\no._helper()\n",
    })
    assert private_uses(tmp_path, ["pkg"]) == [
        "pkg.attr:3 uses pkg.owner._helper",
        "pkg.dotted:3 uses pkg.owner._helper",
        "pkg.named:1 imports pkg.owner._helper",
    ]
