"""Reading the shipped code with `ast` for the architecture tests: which modules it imports and
which tables it writes. Pure functions of a source tree, so a test can plant a violation in a
temporary tree and see it caught."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tomllib


def shipped_packages(root: Path) -> list[str]:
    """Top-level packages the wheel installs (`[tool.setuptools.packages.find] include`)."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    names = {pattern.rstrip("*").rstrip(".") for pattern in patterns}
    return sorted(name for name in names if (root / name / "__init__.py").is_file())


def plant_tree(root: Path, packages: Iterable[str], files: dict[str, str]) -> None:
    """A small project under `root` (for the self-tests that show a planted violation is
    caught): a pyproject naming `packages` and the given source files, each in a package."""
    include = ", ".join(f'"{p}*"' for p in packages)
    (root / "pyproject.toml").write_text(
        f"[tool.setuptools.packages.find]\ninclude = [{include}]\n")
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(source)


def python_files(root: Path, packages: Iterable[str]) -> Iterator[tuple[str, Path]]:
    """(dotted module name, path) of every .py file of the packages."""
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


# --- imports -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name of the importing file
    target: str  # dotted name imported ("from a.b import c" -> "a.b.c")
    line: int


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of a relative import."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def imports_of(module: str, path: Path) -> list[Import]:
    """Every import of a file, also inside functions and `TYPE_CHECKING` blocks, and
    `importlib.import_module("...")` / `__import__("...")` with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (_resolve(module, is_package, node.level, node.module) if node.level
                    else node.module or "")
            found += [Import(module, f"{base}.{alias.name}" if alias.name != "*" else base,
                             node.lineno) for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and _call_name(node) in ("import_module", "__import__")):
            found.append(Import(module, node.args[0].value, node.lineno))
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@dataclass(frozen=True)
class ImportRule:
    """Modules under `importers` ("*": every scanned module), except `exempt`, import nothing
    under `forbidden` except what is under `allowed` (the declared interfaces)."""

    importers: tuple[str, ...]
    forbidden: tuple[str, ...]
    why: str
    allowed: tuple[str, ...] = ()
    exempt: tuple[str, ...] = ()

    def broken_by(self, imp: Import) -> bool:
        return ((self.importers == ("*",)
                 or any(_within(imp.importer, p) for p in self.importers))
                and imp.importer not in self.exempt
                and any(_within(imp.target, p) for p in self.forbidden)
                and not any(_within(imp.target, p) for p in self.allowed))


def import_violations(root: Path, packages: Iterable[str],
                      rules: Iterable[ImportRule]) -> list[str]:
    rules = list(rules)
    return [
        f"{imp.importer}:{imp.line} imports {imp.target} ({rule.why})"
        for module, path in python_files(root, packages)
        for imp in imports_of(module, path)
        for rule in rules
        if rule.broken_by(imp)
    ]


# --- table writes --------------------------------------------------------------------------

@dataclass(frozen=True)
class Write:
    module: str
    table: str
    line: int
    how: str


WRITE_METHODS = {"delete", "merge", "add", "add_all"}  # session methods given a row object
CORE_WRITES = {"insert", "update", "delete"}
RAW_SQL = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"
                     r"[\"`]?(\w+)[\"`]?")


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def _names_in(node: ast.AST, annotation: bool = False) -> set[str]:
    """Every bare or dotted name used in an expression (`models.Case` gives `Case`); in an
    annotation also the names inside strings (`"Case | None"`)."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            names.add(sub.attr)
        elif annotation and isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            names.update(re.findall(r"\b[A-Z]\w*", sub.value))
    return names


def _model_of(node: ast.AST, models: dict[str, str]) -> str | None:
    """The model named by `Case`, `models.Case` or `Case.__table__`."""
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        node = node.value
    if isinstance(node, ast.Name) and node.id in models:
        return node.id
    if isinstance(node, ast.Attribute) and node.attr in models:
        return node.attr
    return None


@dataclass
class _Scope:
    """Names in one function bound to rows of some models (a light type inference)."""

    typed: dict[str, set[str]] = field(default_factory=dict)


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments (to read f-strings of SQL)."""
    constants: dict[str, str] = {}
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = value.value
    return constants


def _sql_text(node: ast.AST, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif (isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name)):
                parts.append(constants.get(value.value.id, "_"))
            else:
                parts.append("_")
        return "".join(parts)
    return None


def _docstrings(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def row_returning_functions(files: Iterable[tuple[str, Path]],
                            models: dict[str, str]) -> dict[str, set[str]]:
    """Function name -> the models its return annotation names (`def get_case(...) -> Case`),
    so `case = get_case(...)` binds a row of `Case` in any module."""
    returns: dict[str, set[str]] = {}
    for _module, path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                    and node.returns is not None
                    and (kinds := _names_in(node.returns, True) & models.keys())):
                returns.setdefault(node.name, set()).update(kinds)
    return returns


def writes_of(module: str, path: Path, models: dict[str, str], tables: Iterable[str],
              returns: dict[str, set[str]] | None = None) -> list[Write]:
    """Table writes of one file, `models` mapping model class name -> table name:
    building a row object (`Case(...)`), `insert/update/delete(Model)`, `query(Model).update()`,
    changing or deleting a row bound from a query, a `Model` parameter or loop (`case.status =
    ...`, `session.delete(case)`), and raw SQL naming a table (`DELETE FROM cases`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    tables = set(tables)
    returns = returns or {}
    constants = _string_constants(tree)
    docstrings = _docstrings(tree)
    found: list[Write] = []

    def add(model: str, node: ast.AST, how: str) -> None:
        found.append(Write(module, models[model], getattr(node, "lineno", 0), how))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in models and isinstance(node.func, ast.Name | ast.Attribute):
                add(name, node, f"builds a {name} row")
            if name in CORE_WRITES and node.args and (model := _model_of(node.args[0], models)):
                add(model, node, f"{name}({model})")
            if (name in ("update", "delete") and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Call)):
                for sub in ast.walk(node.func.value):
                    if (isinstance(sub, ast.Call) and _call_name(sub) == "query" and sub.args
                            and (model := _model_of(sub.args[0], models))):
                        add(model, node, f"query({model}).{name}()")
        text = _sql_text(node, constants) if id(node) not in docstrings else None
        if text:
            for table in RAW_SQL.findall(text):
                if table in tables:
                    found.append(Write(module, table, getattr(node, "lineno", 0),
                                       f"SQL on {table}"))

    def kinds_of(value: ast.AST) -> set[str]:
        """The models whose rows an expression may give."""
        kinds = _names_in(value) & models.keys()
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call):
                kinds |= returns.get(_call_name(sub), set())
        return kinds

    functions = [n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for function in functions:
        scope = _Scope()

        def bind(target: ast.AST, kinds: set[str], scope: _Scope = scope) -> None:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and kinds:
                    scope.typed.setdefault(sub.id, set()).update(kinds)

        args = function.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if arg.annotation is not None:
                bind(ast.Name(arg.arg), _names_in(arg.annotation, True) & models.keys())
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                kinds = kinds_of(node.value)
                if isinstance(node, ast.AnnAssign):
                    kinds |= _names_in(node.annotation, True) & models.keys()
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name | ast.Tuple | ast.List):
                        bind(target, kinds)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                kinds = kinds_of(node.iter)
                kinds |= {k for n in _names_in(node.iter) for k in scope.typed.get(n, ())}
                bind(node.target, kinds)
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars, kinds_of(item.context_expr))
        for node in ast.walk(function):
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id in scope.typed):
                    for model in scope.typed[target.value.id]:
                        add(model, node, f"sets {target.value.id}.{target.attr}")
            if (isinstance(node, ast.Call) and _call_name(node) in WRITE_METHODS | {"setattr"}
                    and node.args and isinstance(node.args[0], ast.Name)
                    and node.args[0].id in scope.typed):
                for model in scope.typed[node.args[0].id]:
                    add(model, node, f"{_call_name(node)}({node.args[0].id})")
    return found


#: Alembic migrations move the data of every table along with the schema (e.g. accounts into
#: the default agency); they are history, not code paths, so no owner rule applies to them.
MIGRATIONS = "saphan.migrations"


def owner_violations(root: Path, packages: Iterable[str], models: dict[str, str],
                     owners: dict[str, set[str]]) -> list[str]:
    """Writes to a table by a module that is not one of its declared owners. A write on a row
    bound to several models counts as the owner's when the module owns any of them."""
    problems = []
    files = [(module, path) for module, path in python_files(root, packages)
             if not module.startswith(MIGRATIONS)]
    returns = row_returning_functions(files, models)
    for module, path in files:
        writes = writes_of(module, path, models, owners, returns)
        by_place: dict[tuple[int, str], set[str]] = {}
        for write in writes:
            by_place.setdefault((write.line, write.how), set()).add(write.table)
        for (line, how), tables in sorted(by_place.items()):
            if not any(module in owners.get(table, set()) for table in tables):
                problems.append(f"{module}:{line} {how} -> {', '.join(sorted(tables))} "
                                f"(owned by {', '.join(sorted(owners.get(min(tables), {'?'})))})")
    return problems
