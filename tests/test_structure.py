"""The package's shape: imports run one way (no cycles, no reaching into another subpackage's
private modules) and functions stay short. Cyclomatic complexity (≤ 15) is ruff's C901,
configured in pyproject.toml and run by CI."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "snas"
MAX_LINES = 60


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:  # an ``else:`` branch does run
                yield child
                yield from _runtime_nodes(child)
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(tree: ast.Module) -> set[str]:
    """Every snas module imported when the module runs (also inside functions; imports for
    type annotations only are left out)."""
    out = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("snas")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("snas"):
            out |= {f"{node.module}.{a.name}" for a in node.names}  # resolved to a module when it is one
    return out


def _resolve(name: str, modules: dict[str, ast.Module]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, tree in modules.items():
        targets = {_resolve(t, modules) for t in _imports(tree)}
        graph[name] = {t for t in targets if t and t != name and t != "snas"}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state and (cycle := visit(m)):
                return cycle
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (cycle := visit(n)):
            return cycle
    return None


def private_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports of ``snas.<pkg>._mod`` from outside ``snas.<pkg>``."""
    bad = []
    for src, targets in graph.items():
        for t in targets:
            parts = t.split(".")
            private_at = next((i for i, p in enumerate(parts) if p.startswith("_")), None)
            if private_at is None or private_at == 1:  # top-level helpers (snas._util …) are shared
                continue
            owner = ".".join(parts[:private_at])
            if not (src == owner or src.startswith(owner + ".")):
                bad.append(f"{src} imports {t}")
    return sorted(bad)


def long_functions() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) is not None and len(node.body) > 1 else node.body
                lines = (node.end_lineno or node.lineno) - body[0].lineno + 1  # code, not its docstring
                if lines > MAX_LINES:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    return out


def test_no_import_cycle():
    assert find_cycle(_graph()) is None, find_cycle(_graph())


def test_no_private_module_of_another_subpackage_is_imported():
    assert private_imports(_graph()) == []


def test_no_function_longer_than_60_lines():
    """Counted from the first statement after the docstring: documentation is not length."""
    assert long_functions() == []


def test_the_checks_can_fail():
    """The checks themselves find what they look for."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert private_imports({"snas.audit._build": {"snas.search._space", "snas._util", "snas.audit._stats"}}) == [
        "snas.audit._build imports snas.search._space"
    ]
