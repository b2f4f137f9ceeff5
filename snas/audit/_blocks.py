"""A small document model for the audit report's renderings.

The Markdown and the HTML pages are written from the same blocks (paragraphs, lists,
tables, headings), so both show the same content and escape text in one place: whatever a
person wrote in the documentation YAML (``<script>``, ``<!--``, ``|``, ``*``) is shown as
text, never interpreted. Structured values become tables and lists; JSON stays in
``report.json``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Block",
    "Details",
    "Figure",
    "Heading",
    "Inline",
    "Items",
    "Para",
    "Section",
    "Table",
    "code",
    "fmt",
    "join",
    "link",
    "missing",
    "present",
    "strong",
    "text",
    "to_html",
    "to_markdown",
]

MISSING = "⚠ missing — to be completed by the provider"

Run = tuple[str, str]  # (style, text): text | code | strong | missing | link (text is an evidence id)
Inline = tuple[Run, ...]


def text(s: Any) -> Inline:
    return (("text", str(s)),)


def code(s: Any) -> Inline:
    return (("code", str(s)),)


def strong(s: Any) -> Inline:
    return (("strong", str(s)),)


def link(evidence_id: str) -> Inline:
    """A reference to an evidence item (an anchor in HTML, code in Markdown)."""
    return (("link", evidence_id),)


def missing(s: str = MISSING) -> Inline:
    return (("missing", s),)


def join(*parts: Inline | str, sep: str = "") -> Inline:
    """Concatenate inline pieces (plain strings become text)."""
    out: list[Run] = []
    for i, p in enumerate(parts):
        if i and sep:
            out.append(("text", sep))
        out.extend(text(p) if isinstance(p, str) else p)
    return tuple(out)


@dataclass(frozen=True)
class Para:
    content: Inline
    cls: str = ""


@dataclass(frozen=True)
class Items:
    items: tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    row_ids: tuple[str, ...] = ()  # HTML anchors, one per row ("" for none)
    row_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Figure:
    """An embedded image (HTML only; Markdown points to the HTML page)."""

    key: str
    caption: str


@dataclass(frozen=True)
class Section:
    """A group of blocks: ``<section id=…>`` in HTML, nothing extra in Markdown."""

    anchor: str
    blocks: tuple[Block, ...]
    cls: str = ""


@dataclass(frozen=True)
class Details:
    """Blocks folded away in HTML (``<details>``, opened by a click) and shown in full in Markdown,
    e.g. the table of values behind a figure."""

    summary: str
    blocks: tuple[Block, ...]


Block = Para | Items | Table | Heading | Figure | Section | Details


def slug(s: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in s).strip("-").lower()


# ----------------------------------------------------------------------------- values
def fmt(v: Any, digits: int = 4) -> str:
    """One value as short text (never JSON): numbers rounded, lists joined, mappings as ``k: v``."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v != v or abs(v) < 1000:
            return f"{v:.{digits}g}"
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {fmt(x, digits)}" for k, x in v.items()) or "—"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt(x, digits) for x in v) or "—"
    return str(v)


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _long_text(v: Any) -> bool:
    """A string too long for a table cell: shown as a paragraph instead (never cut)."""
    return isinstance(v, str) and len(v) > CELL_LIMIT


def _short(v: Any, limit: int = 160) -> bool:
    if _scalar(v):
        return not _long_text(v)
    if isinstance(v, (list, tuple)) and all(_scalar(x) for x in v):
        return len(v) <= 12 and len(fmt(v)) <= limit
    if isinstance(v, Mapping) and all(_scalar(x) for x in v.values()):
        return len(v) <= 4 and len(fmt(v)) <= limit
    return False


CELL_LIMIT = 300  # characters in a table cell; a longer text of a key → value table becomes a paragraph


def cell(v: Any, limit: int = CELL_LIMIT) -> Inline:
    """A value for a table cell: short text, nested values flattened (``k: v; …``); a value of a
    many-column table longer than ``limit`` is cut, saying where the whole is."""
    s = fmt(v)
    return text(s if len(s) <= limit else s[: limit - 30] + "… (in full in report.json)")


def present(value: Any, *, depth: int = 0) -> list[Block]:
    """Any JSON-like value as blocks: text, a list, a table of records or of key → value."""
    if _short(value):
        return [Para(text(fmt(value)))]
    if isinstance(value, (list, tuple)):
        if all(isinstance(x, Mapping) for x in value):
            return [records(value)]
        return [Items(tuple(cell(x) for x in value))]
    if isinstance(value, Mapping):
        return _present_mapping(value, depth)
    return [Para(text(fmt(value)))]  # pragma: no cover - JSON values are covered above


def records(rows: Iterable[Mapping[str, Any]], columns: Iterable[str] | None = None) -> Table:
    """A list of mappings as a table (columns in order of first appearance)."""
    rows = list(rows)
    cols = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    return Table(tuple(c.replace("_", " ") for c in cols), tuple(tuple(cell(r.get(c)) for c in cols) for r in rows))


def _present_mapping(value: Mapping[str, Any], depth: int) -> list[Block]:
    rows: list[tuple[Inline, ...]] = []
    nested: list[Block] = []
    for key, v in value.items():
        if _long_text(v):
            nested += [Para(strong(key)), Para(text(v))]
        elif _short(v) or depth >= 2:
            rows.append((text(key), cell(v)))
        elif isinstance(v, Mapping) and all(_short(x) for x in v.values()):
            rows.extend((text(f"{key} · {k}"), cell(x)) for k, x in v.items())
        else:
            nested += [Para(strong(key)), *present(v, depth=depth + 1)]
    out: list[Block] = [Table(("item", "value"), tuple(rows))] if rows else []
    return out + nested


# ----------------------------------------------------------------------------- markdown
# what CommonMark could read as markup: emphasis, code, links, HTML (a tag, comment or
# autolink starts with '<' and a letter, '/', '!' or '?'), entities, table cells, strike-through
_MD_INLINE = re.compile(r"[\\`*\[\]|~]|<(?=[A-Za-z/!?])|&(?=#?\w+;)|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_WIDTH = 100  # Markdown paragraphs are wrapped here (tables cannot be)
_NBSP = "\x00"  # stands for a space inside a code span while a paragraph is wrapped


def md_escape(s: str) -> str:
    """Text that CommonMark shows as written (no HTML, no emphasis, no links)."""
    return _MD_INLINE.sub(lambda m: "\\" + m.group(0), re.sub(r"\s+", " ", s))


def _md_code(s: str, in_table: bool) -> str:
    s = re.sub(r"\s+", " ", s)
    fence = "`" * (max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or fence != "`" else ""
    out = f"{fence}{pad}{s}{pad}{fence}"
    return out.replace("|", "\\|") if in_table else out


def md_inline(content: Inline, in_table: bool = False, keep: bool = False) -> str:
    """One line of Markdown; with ``keep`` the spaces inside code spans are protected."""
    parts = []
    for style, s in content:
        if style in ("code", "link"):
            span = _md_code(s, in_table)
            parts.append(span.replace(" ", _NBSP) if keep else span)
        elif style == "strong":
            parts.append(f"**{md_escape(s)}**" if s.strip() else "")
        else:
            parts.append(md_escape(s))
    return _md_line_start("".join(parts))


def _md_line_start(s: str) -> str:
    """Escape what would start a block (quote, heading, list, rule) at the start of a line."""
    if re.match(r"[>#+\-=~]", s):
        return "\\" + s
    m = re.match(r"(\d{1,9})([.)])(\s|$)", s)
    return f"{m.group(1)}\\{s[len(m.group(1)) :]}" if m else s


def _md_wrapped(content: Inline, indent: str = "") -> list[str]:
    """A paragraph wrapped at :data:`_WIDTH`, never inside a code span; each line escaped
    where its first character could start a block."""
    import textwrap

    line = md_inline(content, keep=True)
    wrapped = textwrap.wrap(line, _WIDTH, break_long_words=False, break_on_hyphens=False) or [""]
    return [(indent if i else "") + _md_line_start(w).replace(_NBSP, " ") for i, w in enumerate(wrapped)]


def _md_table(t: Table) -> list[str]:
    head = "| " + " | ".join(md_escape(h) for h in t.header) + " |"
    rule = "|" + "|".join("---" for _ in t.header) + "|"
    body = ["| " + " | ".join(md_inline(c, True) or " " for c in row) + " |" for row in t.rows]
    return [head, rule, *body, ""]


def to_markdown(blocks: Iterable[Block]) -> list[str]:
    """Markdown lines (CommonMark with GitHub tables)."""
    lines: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            lines += ["#" * b.level + " " + md_escape(b.text), ""]
        elif isinstance(b, Para):
            lines += [*_md_wrapped(b.content), ""]
        elif isinstance(b, Items):
            for item in b.items:
                first, *rest = _md_wrapped(item, "  ")
                lines += ["- " + first, *rest]
            lines.append("")
        elif isinstance(b, Table):
            lines += _md_table(b)
        elif isinstance(b, (Section, Details)):
            lines += to_markdown(b.blocks)
        elif isinstance(b, Figure):
            lines += [f"*{md_escape(b.caption)}: figure in report.html*", ""]
    return lines


# ----------------------------------------------------------------------------- html
def html_inline(content: Inline) -> str:
    e = html.escape
    out = []
    for style, s in content:
        if style == "code":
            out.append(f"<code>{e(s)}</code>")
        elif style == "link":
            out.append(f'<a href="#{slug(s)}"><code>{e(s)}</code></a>')
        elif style == "strong":
            out.append(f"<b>{e(s)}</b>")
        elif style == "missing":
            out.append(f'<span class="missing">{e(s)}</span>')
        else:
            out.append(e(s))
    return "".join(out)


def _attrs(anchor: str = "", cls: str = "") -> str:
    return (f' id="{html.escape(anchor)}"' if anchor else "") + (f' class="{html.escape(cls)}"' if cls else "")


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    thead = f"<thead><tr>{head}</tr></thead>" if any(t.header) else ""
    rows = []
    for i, row in enumerate(t.rows):
        rid = t.row_ids[i] if i < len(t.row_ids) else ""
        cls = t.row_classes[i] if i < len(t.row_classes) else ""
        rows.append(f"<tr{_attrs(rid, cls)}>" + "".join(f"<td>{html_inline(c)}</td>" for c in row) + "</tr>")
    return f"<table>{thead}<tbody>" + "".join(rows) + "</tbody></table>"


def to_html(blocks: Iterable[Block], figs: Mapping[str, str]) -> list[str]:
    """HTML fragments (every text escaped; figures are data URIs from ``figs``)."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}{_attrs(b.anchor)}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            out.append(f"<p{_attrs(cls=b.cls)}>{html_inline(b.content)}</p>")
        elif isinstance(b, Items):
            out.append("<ul>" + "".join(f"<li>{html_inline(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            out.append(_html_table(b))
        elif isinstance(b, Section):
            out += [f"<section{_attrs(b.anchor, b.cls)}>", *to_html(b.blocks, figs), "</section>"]
        elif isinstance(b, Details):
            out += [f"<details><summary>{html.escape(b.summary)}</summary>", *to_html(b.blocks, figs), "</details>"]
        elif isinstance(b, Figure) and b.key in figs:
            cap = html.escape(b.caption)
            out.append(
                f'<figure id="{slug(b.key)}"><img alt="{cap}" src="{figs[b.key]}">'
                f'<figcaption class="small">{cap}</figcaption></figure>'
            )
    return out
