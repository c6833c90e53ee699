"""No SQL is assembled from data: static checks over sql/*.sql and the Python that runs SQL.

SQL files are bare SELECTs with parameters bound by name ($as_of), so they must hold no Python
format placeholders ("{name}", "{}", "%s", "%(name)s") that a caller could fill with str.format
or %. Python code under transforms/, market_intel/ and flows/ must not pass DuckDB an f-string,
a string concatenation or a .format()/% result as the query, directly or through a variable
assigned in the same function, unless every interpolated value is a module constant (ALL_CAPS)
or goes through a quoting function (see QUOTING_CALLS); the few remaining exceptions are listed
in ALLOWED with the reason each is safe.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIRS = ("transforms", "market_intel", "flows")
SQL_METHODS = {"sql", "execute", "executemany", "query", "from_query"}
# calls whose result is safe inside SQL text: the quoting helpers of market_intel/publish.py
# (single quotes / double quotes doubled) and int(), which cannot carry SQL
QUOTING_CALLS = {"_sql_string", "_sql_identifier", "int"}
# (module path, enclosing function): why building the statement there is safe
ALLOWED: dict[tuple[str, str], str] = {}
PY_PLACEHOLDER = re.compile(
    r"\{\}|\{\d+\}|\{[A-Za-z_]\w*(?:\.\w+|\[[^\]]*\])*(?:![rsa])?(?::[^\s{}']*)?\}|%\(\w+\)[sdrf]|%[sdrf]\b")


def sql_files() -> list[Path]:
    return sorted((ROOT / "sql").glob("*.sql"))


def python_files() -> list[Path]:
    return sorted(p for d in PYTHON_DIRS for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", sql_files(), ids=lambda p: p.name)
def test_sql_files_hold_no_python_format_placeholders(path: Path):
    text = path.read_text(encoding="utf-8")
    found = [m.group(0) for m in PY_PLACEHOLDER.finditer(text)]
    assert found == [], f"{path.name} holds format placeholders {found}: bind $name parameters instead"


def test_the_placeholder_check_tells_python_formats_from_duckdb_struct_literals():
    assert PY_PLACEHOLDER.findall("WHERE year = {year} AND x = {} AND y = {0!r} AND z = %s AND w = %(w)s")
    assert not PY_PLACEHOLDER.findall("SELECT {period_type: 'year', period: year::VARCHAR} AS p WHERE y = $year")


def _is_safe_value(node: ast.expr) -> bool:
    """An interpolated value that cannot carry data into SQL: a constant name or a quoting call."""
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in QUOTING_CALLS
    return isinstance(node, ast.Constant)


def _is_built_string(node: ast.expr) -> bool:
    """True for SQL text assembled at run time from values that are not provably safe."""
    if isinstance(node, ast.JoinedStr):
        return not all(_is_safe_value(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        parts = [node.left, node.right]
        return any(isinstance(p, (ast.Constant, ast.JoinedStr, ast.BinOp)) for p in parts) and not all(
            isinstance(p, ast.Constant) or _is_safe_value(p) for p in parts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return True
    return False


def _is_sql_call(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr in SQL_METHODS and bool(node.args)


def sql_assembly_sites(tree: ast.Module) -> list[tuple[str, int, str]]:
    """(enclosing function, line, snippet) of every SQL call fed a run-time-built string."""
    sites = []
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + [tree]
    for scope in scopes:
        name = getattr(scope, "name", "<module>")
        built_names = {
            target.id
            for node in ast.walk(scope) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name) and node.value is not None
            and (_is_built_string(node.value) or isinstance(node, ast.AugAssign))
        }
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and _is_sql_call(node):
                query = node.args[0]
                if _is_built_string(query) or (isinstance(query, ast.Name) and query.id in built_names):
                    sites.append((name, node.lineno, ast.unparse(query)[:120]))
    return sorted(set(sites))


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_is_built_from_data_with_fstrings_or_concatenation(path: Path):
    relative = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
    offending = [(f, line, text) for f, line, text in sql_assembly_sites(tree) if (relative, f) not in ALLOWED]
    assert offending == [], f"{relative}: SQL built from run-time values (bind $name parameters): {offending}"


@pytest.mark.parametrize(("source", "flagged"), [
    ('con.sql(f"SELECT * FROM t WHERE title = \'{title}\'")', True),
    ('con.execute("SELECT * FROM t WHERE title = \'" + title + "\'")', True),
    ('con.sql("SELECT * FROM t WHERE title = \'%s\'" % title)', True),
    ('con.sql("SELECT * FROM t WHERE id = {}".format(i))', True),
    ('def f(con, title):\n    q = f"SELECT {title}"\n    return con.sql(q)', True),
    ('con.sql("SELECT * FROM t WHERE title = $title", params={"title": title})', False),
    ('con.sql(f"USE {CATALOG_ALIAS}")', False),
    ('con.sql(f"ATTACH {_sql_string(path)} AS x")', False),
    ('con.sql(f"SET threads = {int(n)}")', False),
])
def test_the_sql_assembly_scan_flags_data_in_query_text_and_passes_bound_parameters(source: str, flagged: bool):
    assert bool(sql_assembly_sites(ast.parse(source))) is flagged


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_unsafe_deserialisation_or_eval_of_input(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    safe_loaders = {"SafeLoader", "CSafeLoader"} | {  # loaders the module derives from SafeLoader
        node.name for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any("SafeLoader" in ast.unparse(b) for b in node.bases)}
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"eval", "exec"}:
            bad.append((node.lineno, func.id))
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) in {("pickle", "load"), ("pickle", "loads"), ("yaml", "unsafe_load")}:
                bad.append((node.lineno, f"{func.value.id}.{func.attr}"))
            if (func.value.id, func.attr) == ("yaml", "load") and not any(
                    ast.unparse(k.value).split(".")[-1] in safe_loaders for k in node.keywords if k.arg == "Loader"):
                bad.append((node.lineno, "yaml.load without SafeLoader"))
    assert bad == [], f"{path.relative_to(ROOT)}: {bad}"
