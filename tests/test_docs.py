"""The public API (``snas.__all__``) is documented numpydoc-style, as in scikit-learn.

Policy: every exported function and class (exception classes excepted) has a ``Parameters``
section when it takes parameters and an ``Examples`` section; every public method defined on
an exported class that takes parameters besides self/cls has a ``Parameters`` section; every
parameter of an exported function is named in its ``Parameters`` section; and the examples
that are not marked ``# doctest: +SKIP`` run as written.
"""

from __future__ import annotations

import doctest
import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import snas

KNOWN_GAPS: set[tuple[str, str]] = set()  # (name, section) pairs knowingly left undocumented


def _exported() -> dict[str, Any]:
    """Every callable public name, resolved the way ``from snas import name`` should."""
    out = {}
    for name in snas.__all__:
        obj = getattr(snas, name)
        if inspect.ismodule(obj):  # ``import snas.search`` rebinds snas.search to the (callable) subpackage
            obj = getattr(obj, name)
        if callable(obj):
            out[name] = obj
    return out


def _parameters(obj: Callable[..., Any], *, variadic: bool = True) -> list[str]:
    """Parameter names without self/cls (and without *args/**kwargs unless ``variadic``)."""
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return []
    skip = () if variadic else (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in params if p.name not in ("self", "cls") and p.kind not in skip]


def _has_section(doc: str, section: str) -> bool:
    return re.search(rf"^{section}\n-{{{len(section)},}}$", doc, re.M) is not None


def _section(doc: str, section: str) -> str:
    """The text of one numpydoc section (up to the next section header)."""
    match = re.search(rf"^{section}\n-{{{len(section)},}}\n(.*?)(?=^\S[^\n]*\n-{{3,}}$|\Z)", doc, re.M | re.S)
    return match.group(1) if match else ""


def _documented(doc: str) -> set[str]:
    """Names in the Parameters section: unindented entry lines ``a, b : type`` (or ``**kwargs``)."""
    names: set[str] = set()
    for line in _section(doc, "Parameters").splitlines():
        if line and not line[0].isspace():
            names |= {n.strip().lstrip("*") for n in line.split(" : ", 1)[0].split(",")}
    return names


def _public_methods(cls: type) -> Iterator[tuple[str, Any]]:
    for name, attr in vars(cls).items():
        if not name.startswith("_") and (inspect.isfunction(attr) or isinstance(attr, (classmethod, staticmethod))):
            yield name, getattr(cls, name)


def _is_exception(obj: Any) -> bool:
    return inspect.isclass(obj) and issubclass(obj, BaseException)


def _gaps() -> set[tuple[str, str]]:
    gaps = set()
    for name, obj in _exported().items():
        if _is_exception(obj):
            continue
        doc = inspect.getdoc(obj) or ""
        needed = ["Parameters"] if _parameters(obj) else []
        gaps |= {(name, s) for s in [*needed, "Examples"] if not _has_section(doc, s)}
        if inspect.isclass(obj):
            for method, func in _public_methods(obj):
                if _parameters(func) and not _has_section(inspect.getdoc(func) or "", "Parameters"):
                    gaps.add((f"{name}.{method}", "Parameters"))
    return gaps


def test_every_public_callable_has_its_numpydoc_sections():
    gaps = _gaps()
    missing = sorted(gaps - KNOWN_GAPS)
    assert not missing, "missing numpydoc sections:\n" + "\n".join(f"  {n}: {s}" for n, s in missing)
    closed = sorted(KNOWN_GAPS - gaps)
    assert not closed, f"documented now, remove from KNOWN_GAPS: {closed}"


def test_every_parameter_of_a_public_function_is_documented():
    problems = []
    for name, obj in _exported().items():
        if not inspect.isfunction(obj):
            continue
        undocumented = [p for p in _parameters(obj, variadic=False) if p not in _documented(inspect.getdoc(obj) or "")]
        if undocumented:
            problems.append(f"  {name}: {', '.join(undocumented)}")
    assert not problems, "parameters missing from the Parameters section:\n" + "\n".join(problems)


def test_the_examples_that_are_not_skipped_run():
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failed = []
    for name, obj in _exported().items():
        module = inspect.getmodule(obj)
        for test in finder.find(obj, name, module=module, globs=vars(module).copy() if module else {}):
            if runner.run(test, out=lambda _: None).failed:
                failed.append(test.name)
    assert not failed, f"examples that fail (run them with python -m doctest -v): {failed}"


def test_the_checks_can_fail():
    """The section and parameter parsers find what they look for."""

    def documented(a: int, b: int, *args: Any, **kwargs: Any) -> None:
        """Summary.

        Parameters
        ----------
        a, b : int
            Numbers.

        Examples
        --------
        >>> documented(1, 2)
        """

    def bare(a: int) -> None:
        """Summary; mentions Parameters and b in prose only."""

    doc = inspect.getdoc(documented) or ""
    assert _has_section(doc, "Parameters") and _has_section(doc, "Examples")
    assert _documented(doc) == {"a", "b"}
    assert _parameters(documented, variadic=False) == ["a", "b"]
    assert _parameters(documented) == ["a", "b", "args", "kwargs"]
    assert not _has_section(inspect.getdoc(bare) or "", "Parameters")
    assert _documented(inspect.getdoc(bare) or "") == set()


def test_search_runs_whichever_was_imported_first():
    """``snas.search`` is the subpackage and runs a search, whatever was imported first."""
    import subprocess
    import sys

    check = (
        "from snas import search; import snas.search as package; "
        "assert search is package and callable(search) and package.load_config and package.search.__name__ == 'search'"
    )
    for first in ("import snas; snas.search", "import snas.search", "from snas import load_config"):
        subprocess.run([sys.executable, "-c", f"{first}; {check}"], check=True, capture_output=True)
