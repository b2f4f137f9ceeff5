"""The report's document model: any value becomes tables and lists, any text stays text."""

from __future__ import annotations

from markdown_it import MarkdownIt

from snas.audit._blocks import Items, Para, Table, present, text, to_html, to_markdown

MD = MarkdownIt("commonmark").enable("table")


def _types(md: str) -> set[str]:
    tokens = MD.parse(md)
    return {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}


def test_nested_values_become_tables_and_lists_never_json():
    value = {
        "name": "x",
        "files": [{"path": "a.csv", "sha256": "ab" * 32, "bytes": 10}, {"path": "b.csv", "sha256": "cd" * 32}],
        "versions": {f"pkg{i}": f"1.{i}" for i in range(8)},
        "deep": {"a": {"b": {"c": {"d": [1, 2, {"e": 3}]}}}},
        "many": list(range(40)),
    }
    blocks = present(value)
    md = "\n".join(to_markdown(blocks))
    assert "{" not in md and '["' not in md
    assert "| path | sha256 | bytes |" in md and "| b.csv | " + "cd" * 32 + " | — |" in md
    assert any(isinstance(b, Table) for b in blocks) and any(isinstance(b, Items) for b in blocks)
    html = "\n".join(to_html(blocks, {}))
    assert html.count("<thead>") == sum(isinstance(b, Table) for b in blocks)


def test_text_that_looks_like_markup_stays_text():
    hostile = ["- not a list", "# not a heading", "1. not a list", "> not a quote", "=====", "<!-- x -->", "a|b", "`x`"]
    md = "\n".join(to_markdown([Para(text(h)) for h in hostile] + [Table(("k",), tuple((text(h),) for h in hostile))]))
    assert not _types(md) & {"bullet_list_open", "ordered_list_open", "heading_open", "blockquote_open", "hr"}
    assert not _types(md) & {"html_block", "html_inline", "code_inline"}
    shown = MD.render(md)
    for h in hostile:
        assert h.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in shown, h


def test_long_paragraphs_wrap_without_breaking_code_or_starting_blocks():
    from snas.audit._blocks import code, join

    para = Para(join(*(join("item - ", code("ev:slice:a = b"), " ") for _ in range(30))))
    lines = to_markdown([para])
    assert max(len(x) for x in lines) <= 110
    assert MD.render("\n".join(lines)).count("<code>ev:slice:a = b</code>") == 30
    assert "bullet_list_open" not in _types("\n".join(lines))


def test_a_long_text_is_a_paragraph_not_a_cut_cell():
    reason = "chosen on validation " + "because of a long and careful argument " * 12 + "the end."
    blocks = present({"selected": "#12", "reason": reason})
    assert isinstance(blocks[0], Table) and len(blocks[0].rows) == 1  # the short value stays in the table
    md = "\n".join(to_markdown(blocks))
    assert " ".join(reason.split()) in " ".join(md.split()) and "…" not in md
    assert max(len(line) for line in md.splitlines()) <= 120  # wrapped, not one long table row
