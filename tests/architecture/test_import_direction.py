"""Dependencies point one way: core `saphan/` <- domains <- composition (`gateway/app.py`,
`cli/`); gateway and cases meet only through their declared ports; shipped code never
imports test support. Imports are read with `ast` from every shipped file."""

from __future__ import annotations

from pathlib import Path

from saphan.paths import ROOT

from .code_scan import (
    ImportRule,
    import_violations,
    imports_of,
    plant_tree,
    python_files,
    shipped_packages,
)

DOMAINS = ("gateway", "cases", "dashboard", "screening", "referral_directory", "content",
           "actions", "cli", "agencies", "nrm")
TEST_ONLY = ("testsupport", "tests", "pytest", "_pytest")
RULES = (
    ImportRule(importers=("saphan",), forbidden=DOMAINS,
               why="the core imports no domain package"),
    ImportRule(importers=("gateway",), forbidden=("cases", "dashboard"),
               allowed=("cases.ports",), exempt=("gateway.app", "gateway.erasure"),
               why="the gateway reaches cases only through cases.ports; wiring is in "
                   "gateway.app / gateway.erasure"),
    ImportRule(importers=("cases",), forbidden=("gateway",), allowed=("gateway.ports",),
               why="cases reach the gateway only through gateway.ports"),
    ImportRule(importers=("agencies",), forbidden=("gateway", "cases", "dashboard", "screening",
                                                   "actions", "nrm"),
               why="agencies are data below cases: cases and the dashboard use them"),
    ImportRule(importers=("nrm",), forbidden=tuple(d for d in DOMAINS if d != "agencies"),
               why="the NRM pathway is framework-free data and rules (cases.stages applies it)"),
    ImportRule(importers=("actions",), forbidden=("gateway", "cases", "dashboard"),
               allowed=("cases.client",),
               why="the action server reaches the gateway's data only over the internal API "
                   "(cases.client)"),
    ImportRule(importers=tuple(p for p in ("saphan", *DOMAINS) if p != "cli"),
               forbidden=("cli",), why="only the command line composes from the top"),
    ImportRule(importers=("*",), forbidden=TEST_ONLY,
               why="shipped code never imports test support"),
)


def test_shipped_packages_are_the_expected_ones() -> None:
    packages = shipped_packages(ROOT)
    assert {"saphan", "cli", *DOMAINS} <= set(packages)
    assert "testsupport" not in packages and "tests" not in packages


def test_imports_point_one_way() -> None:
    problems = import_violations(ROOT, shipped_packages(ROOT), RULES)
    assert not problems, "\n".join(problems)


def test_every_shipped_file_is_scanned() -> None:
    modules = {module for module, _ in python_files(ROOT, shipped_packages(ROOT))}
    assert {"saphan.db", "gateway.app", "cases.service", "cli.main"} <= modules


def _plant(root: Path, files: dict[str, str]) -> None:
    plant_tree(root, ["saphan", "gateway", "cases", "actions"], files)


def test_planted_violations_are_caught(tmp_path: Path) -> None:
    _plant(tmp_path, {
        "saphan/core.py": "def f():\n    from gateway.users import x\n",
        "saphan/lazy.py": "import importlib\nimportlib.import_module('cases.service')\n",
        "gateway/processor.py": "from cases import runtime\nfrom cases.ports import Port\n",
        "gateway/app.py": "from cases.runtime import CaseRuntime\n",  # the composition root
        "cases/service.py": "from ..gateway.users import x\nfrom gateway.ports import Hook\n",
        "cases/helpers.py": "import testsupport.cases\n",
        "actions/erasure.py": "from gateway.models import Inbox\nfrom cases.client import C\n",
    })
    packages = shipped_packages(tmp_path)
    assert packages == ["actions", "cases", "gateway", "saphan"]
    problems = import_violations(tmp_path, packages, RULES)
    caught = {line.split(" imports ")[0] + " " + line.split(" imports ")[1].split()[0]
              for line in problems}
    assert caught == {
        "saphan.core:2 gateway.users.x",
        "saphan.lazy:2 cases.service",
        "gateway.processor:1 cases.runtime",
        "cases.service:1 gateway.users.x",
        "cases.helpers:1 testsupport.cases",
        "actions.erasure:1 gateway.models.Inbox",
    }, problems


def test_test_support_needs_pytest_only_for_fixtures() -> None:
    """Test helpers are plain code; only `testsupport/cases.py` (pytest fixtures) imports
    pytest, so benchmarks and the reliability harness can use them without it."""
    users = {imp.importer for module, path in python_files(ROOT, ["testsupport"])
             for imp in imports_of(module, path) if imp.target.split(".")[0] == "pytest"}
    assert users <= {"testsupport.cases"}
