"""Safe YAML reading that remembers where every value came from.

Only ``yaml.SafeLoader`` is used: tags such as ``!!python/object`` are refused. The node
tree is kept beside the data so error messages can name line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Located", "YamlDocument", "read_yaml"]


@dataclass(frozen=True)
class Located:
    """A 1-based position in a text file."""

    path: str | None
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path or '<text>'}:{self.line}:{self.column}"


class YamlDocument:
    """Parsed YAML data plus the composed node tree, for positions."""

    def __init__(self, text: str, path: str | None, error_type: type[Exception]) -> None:
        import yaml

        self.text = text
        self.path = path
        loader = yaml.SafeLoader(text)
        try:
            self.node = loader.get_single_node()
            self.data = loader.construct_document(self.node) if self.node is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            col = mark.column + 1 if mark else None
            problem = exc.problem or exc.context or "invalid YAML"
            if "could not determine a constructor" in str(exc):
                problem = f"{problem}; YAML tags that build objects are not allowed in snas files (remove the '!!' tag)"
            raise _make_error(error_type, f"invalid YAML: {problem}", path, line, col, text) from None
        except yaml.YAMLError as exc:
            raise _make_error(error_type, f"invalid YAML: {exc}", path, None, None, text) from None
        finally:
            loader.dispose()

    def locate(self, *keys: str | int) -> Located | None:
        """Position of the value at ``keys`` (mapping keys / sequence indices), if present."""
        node = self.scalar_node(*keys)
        if node is None:
            return None
        return Located(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def scalar_node(self, *keys: str | int) -> Any:
        """The YAML node at ``keys`` or ``None``."""
        node = self.node
        for key in keys:
            if node is None:
                return None
            if getattr(node, "id", None) == "mapping":
                node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            elif getattr(node, "id", None) == "sequence" and isinstance(key, int) and 0 <= key < len(node.value):
                node = node.value[key]
            else:
                return None
        return node


def source_line(text: str, line: int) -> str:
    """The 1-based ``line`` of ``text`` ('' when out of range)."""
    lines = text.splitlines()
    return lines[line - 1] if 1 <= line <= len(lines) else ""


def caret_context(text: str, line: int | None, column: int | None) -> str:
    """The source line and a caret under ``column``."""
    if line is None:
        return ""
    src = source_line(text, line)
    if not src:
        return ""
    col = max(1, column or 1)
    return f"    {src}\n    {' ' * (col - 1)}^"


def _make_error(
    error_type: type[Exception], message: str, path: str | None, line: int | None, col: int | None, text: str
) -> Exception:
    from snas.exceptions import RuleSyntaxError

    if issubclass(error_type, RuleSyntaxError):
        return error_type(message, path=path, line=line, column=col, context=caret_context(text, line, col))
    where = path or "<text>"
    if line is not None:
        where += f":{line}:{col}"
    return error_type(f"{where}: {message}")


def read_yaml(path: str | Path, error_type: type[Exception]) -> YamlDocument:
    """Read and safely parse a YAML file; errors become ``error_type`` with position."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_type(f"{p}: file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error_type(f"{p}: cannot read the file ({exc})") from None
    return YamlDocument(text, str(path), error_type)
