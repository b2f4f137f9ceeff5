"""Safe YAML reading that remembers where every value came from.

Every YAML file snas reads (rules, search configurations, dataset manifests, documentation)
goes through :class:`SnasLoader`, a ``yaml.SafeLoader`` that also refuses what could silently
change a file's meaning or exhaust the machine: duplicate keys (the second ``strength:`` would
win), merge keys, aliases (``*name``: "billion laughs"), nesting deeper than
:data:`~snas._limits.MAX_YAML_DEPTH`, integers longer than :data:`~snas._limits.MAX_INT_DIGITS`
digits, and files larger than :data:`~snas._limits.MAX_FILE_BYTES`. Tags that build objects
(``!!python/object``) stay refused. The node tree is kept beside the data so error messages
can name line and column.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode
from yaml.resolver import Resolver

from snas._limits import MAX_FILE_BYTES, MAX_INT_DIGITS, MAX_YAML_DEPTH

__all__ = [
    "TEXT_HINT",
    "Located",
    "SnasLoader",
    "YamlDocument",
    "read_text_file",
    "read_yaml",
    "shown",
    "type_name",
    "unknown_key",
]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_CONTEXT_WIDTH = 100  # characters of the source line shown above a caret
# Safe but unused by snas; refused so every value is a str, number, bool, date, list or mapping.
_UNUSED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("binary", "set", "omap", "pairs"))


class YamlRefused(yaml.MarkedYAMLError):
    """A construct snas's YAML subset refuses; its ``problem`` is the whole message."""


def _refuse(problem: str, mark: Any) -> YamlRefused:
    return YamlRefused(problem=problem, problem_mark=mark)


class SnasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without duplicate keys, merge keys, aliases, deep nesting or huge integers."""

    yaml_constructors: ClassVar[dict[Any, Any]] = {
        t: c for t, c in yaml.SafeLoader.yaml_constructors.items() if t not in _UNUSED_TAGS
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node; aliases and over-deep nesting are refused before any work."""
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise _refuse(
                f"YAML aliases (*{event.anchor}) are not allowed in snas files; "
                f"write the value out where '*{event.anchor}' stands",
                event.start_mark,
            )
        if self.depth >= MAX_YAML_DEPTH:
            raise _refuse(
                f"nested deeper than {MAX_YAML_DEPTH} levels of lists and mappings; flatten the structure",
                event.start_mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        """Build a mapping after checking each key appears once (and no '<<' merge key)."""
        if isinstance(node, MappingNode):
            self._check_keys(node)
        return super().construct_mapping(node, deep=deep)

    def _check_keys(self, node: MappingNode) -> None:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                raise _refuse(
                    "merge keys ('<<') are not allowed in snas files; write the keys out", key_node.start_mark
                )
            key = self.construct_object(key_node)
            if not isinstance(key, Hashable):
                continue  # SafeConstructor reports unhashable keys itself
            if key in first:
                raise _refuse(
                    f"duplicate key {shown(key)} (first written on line {first[key]}); "
                    "a key may appear only once in a mapping — delete one of them",
                    key_node.start_mark,
                )
            first[key] = key_node.start_mark.line + 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Build one value; a value Python cannot represent (``2026-13-45``) becomes a YAML error."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            value = node.value if isinstance(node.value, str) else node.tag
            raise _refuse(
                f"cannot read the value {shown(value)} ({exc}); correct or quote it", node.start_mark
            ) from None

    def construct_yaml_int(self, node: Any) -> int:
        """Integers longer than MAX_INT_DIGITS are refused (Python cannot even print 5,000 digits)."""
        digits = str(node.value).replace("_", "").lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            raise _refuse(
                f"an integer of {len(digits):,} digits is out of range (at most {MAX_INT_DIGITS} digits); "
                "write a smaller number",
                node.start_mark,
            )
        return int(super().construct_yaml_int(node))


SnasLoader.add_constructor("tag:yaml.org,2002:int", SnasLoader.construct_yaml_int)


@functools.cache
def _loader_class() -> type[SnasLoader]:
    """:class:`SnasLoader` on libyaml's C parser when available (about 3x faster), same rules."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml
        return SnasLoader

    class _CSnasLoader(CParser, SnasLoader):
        # events from C; composing (aliases, depth) and constructing (keys, ints) in Python
        get_single_node = Composer.get_single_node
        get_node = Composer.get_node
        check_node = Composer.check_node

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.depth = 0

    return _CSnasLoader


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

    def __init__(
        self, text: str, path: str | None, error_type: type[Exception], loader: type[SnasLoader] | None = None
    ) -> None:
        self.text = text
        self.path = path
        if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
            raise _make_error(error_type, _too_large(len(text.encode("utf-8", "surrogatepass"))), path, None, None, "")
        self.node, self.data = _parse(text, path, error_type, loader or _loader_class())

    def locate(self, *keys: str | int, key: bool = False) -> Located | None:
        """Position of the value at ``keys`` (mapping keys / sequence indices), if present;
        with ``key=True`` the position of the last key itself (for "unknown key" messages)."""
        node = self.scalar_node(*keys)
        if key and keys and node is not None:
            parent = self.scalar_node(*keys[:-1])
            node = next((k for k, v in getattr(parent, "value", ()) if v is node), node)
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


def _parse(text: str, path: str | None, error_type: type[Exception], loader_class: type[SnasLoader]) -> Any:
    """(node tree, data) of ``text``; every YAML problem becomes ``error_type`` with a position."""
    loader = None
    try:
        loader = loader_class(text)  # the pure-Python reader checks every character here
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except YamlRefused as exc:
        line, col = _mark_position(exc.problem_mark)
        raise _make_error(error_type, str(exc.problem), path, line, col, text) from None
    except yaml.MarkedYAMLError as exc:
        line, col = _mark_position(exc.problem_mark or exc.context_mark)
        at = source_line(text, line)[col - 1 : col] if line and col else ""
        problem = f"{exc.problem or exc.context or 'invalid YAML'}; {_hint(str(exc) if at != chr(9) else 'tab')}"
        if "found another document" in problem:
            problem = "a file holds one YAML document; remove the second '---' and what follows it"
        raise _make_error(error_type, f"invalid YAML: {problem}", path, line, col, text) from None
    except yaml.reader.ReaderError as exc:
        idx = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
        line, col = (text.count("\n", 0, idx) + 1, idx - text.rfind("\n", 0, idx)) if idx >= 0 else (None, None)
        message = f"invalid YAML: character {chr(exc.character)!r} is not allowed; delete it" if idx >= 0 else str(exc)
        raise _make_error(error_type, message, path, line, col, text) from None
    except yaml.YAMLError as exc:
        raise _make_error(error_type, f"invalid YAML: {exc}", path, None, None, text) from None
    finally:
        if loader is not None:
            loader.dispose()


_YAML_HINTS = (
    (
        "could not determine a constructor",
        "YAML tags that build objects are not allowed in snas files (remove the '!' tag)",
    ),
    ("tab", "indent with spaces, not tabs"),
    ("end of stream", "close the quote or bracket opened earlier"),
    ("quoted scalar", "close the quote"),
    ("could not find expected ':'", "write 'key: value' on one line (keys are at most 1,024 characters)"),
    ("did not find expected", "check the indentation, quotes and commas on this line and the one before"),
    ("mapping values are not allowed", "put text that contains ': ' in quotes"),
    ("expected <block end>", "check the indentation of this line"),
    ("unhashable key", "a key must be plain text"),
    ("nesting depth", "flatten the structure"),
)


def _hint(problem: str) -> str:
    """What to do about a PyYAML / libyaml syntax error."""
    return next((h for key, h in _YAML_HINTS if key in problem), "check the YAML syntax (quotes, colons, indentation)")


def _mark_position(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for messages (a key may be 100 KB long)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown_key(key: Any, allowed: Sequence[str], where: str = "") -> str:
    """``unknown key 'x' in a rule. Did you mean 'y'?`` — or the allowed keys when nothing is close."""
    from snas._util import did_you_mean

    hint = did_you_mean(str(key), allowed)
    return f"unknown key {shown(key)}{where}.{hint or ' Allowed: ' + ', '.join(allowed)}"


TEXT_HINT = "write it as text (in quotes if it looks like a number, a date or yes/no)"


def type_name(value: Any) -> str:
    """How a YAML value reads in a message: 'a mapping', 'a list', 'true/false', 'a number' ..."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {shown(value)}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"


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
    src = "".join(ch if ch.isprintable() else " " for ch in src)  # no tabs or terminal escapes
    if len(src) > _CONTEXT_WIDTH:  # a window around the column, so a huge line stays one line
        start = max(0, min(col - 1 - _CONTEXT_WIDTH // 2, len(src) - _CONTEXT_WIDTH))
        head, tail = ("…" if start else ""), ("…" if start + _CONTEXT_WIDTH < len(src) else "")
        src = head + src[start : start + _CONTEXT_WIDTH] + tail
        col = col - start + len(head)
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


def _too_large(size: int | None) -> str:
    """The message for a file over MAX_FILE_BYTES (``size`` None: only known to be larger)."""
    has = f"{size:,} bytes" if size is not None else f"more than {MAX_FILE_BYTES:,} bytes"
    return (
        f"the file has {has}; snas reads at most {MAX_FILE_BYTES:,} bytes (MAX_FILE_BYTES) from a rule, "
        "configuration, manifest, documentation or Datalog file — split it or remove what it does not need"
    )


def read_text_file(path: str | Path, error_type: type[Exception], io_error_type: type[Exception] | None = None) -> str:
    """The UTF-8 text of ``path``, refusing files above MAX_FILE_BYTES before reading them.

    A file that cannot be read at all (missing, a directory, no permission) raises
    ``io_error_type`` (default ``error_type``); one too large or not UTF-8, ``error_type``.
    """
    p = Path(path)
    unread = io_error_type or error_type
    try:
        size = p.stat().st_size
        if p.is_file() and size > MAX_FILE_BYTES:
            raise _make_error(error_type, _too_large(size), str(p), None, None, "")
        with p.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # bounded: /dev/zero or a growing file cannot exhaust memory
    except FileNotFoundError:
        raise _make_error(unread, "file not found; check the path", str(p), None, None, "") from None
    except IsADirectoryError:
        raise _make_error(unread, "is a directory; give the path of a file", str(p), None, None, "") from None
    except OSError as exc:
        raise _make_error(unread, f"cannot read the file ({exc.strerror})", str(p), None, None, "") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _make_error(error_type, _too_large(None), str(p), None, None, "")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - raw.rfind(b"\n", 0, exc.start)
        message = f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        raise _make_error(error_type, message, str(p), line, col, "") from None


def read_yaml(path: str | Path, error_type: type[Exception]) -> YamlDocument:
    """Read and safely parse a YAML file; errors become ``error_type`` with position."""
    return YamlDocument(read_text_file(path, error_type), str(path), error_type)
