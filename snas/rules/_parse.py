"""Rule files → :class:`RuleSet`: safe YAML for structure, the lark grammar for conditions."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from snas._limits import MAX_CONDITION_CHARS, MAX_CONDITION_DEPTH, MAX_ID_CHARS, MAX_RULES
from snas._util import did_you_mean, sha256_bytes
from snas._yaml import TEXT_HINT, YamlDocument, caret_context, read_text_file, shown, type_name, unknown_key
from snas.exceptions import RuleFileError, RuleSyntaxError
from snas.rules._tree import (
    FLIPPED_OP,
    KEYWORDS,
    And,
    Compare,
    Condition,
    Constraints,
    Member,
    Not,
    Or,
    Rule,
    RuleSet,
    Span,
)

__all__ = ["KEYWORDS", "load_rules", "parse_condition", "parse_rules", "read_rule_text"]

Strength = Literal["hard", "soft"]
MAX_ABS_NUMBER = 10**15
_NUMBER = re.compile(r"[+-]?(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?")
_RULE_KEYS = ("id", "if", "unless", "then", "strength", "weight", "priority", "rationale", "source")
_TOP_KEYS = ("snas_rules", "dataset", "target", "rules", "constraints", "description")
_CONSTRAINT_KEYS = ("monotonic", "exclude_features", "audit_proxies", "max_parameters")
_TERMINAL_NAMES = {
    "NAME": "a feature name",
    "QUOTED_NAME": "a `quoted` feature name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "COMP": "a comparison (< <= > >= == !=)",
    "_AND": "'and'",
    "_OR": "'or'",
    "_NOT": "'not'",
    "_IN": "'in'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "$END": "the end of the condition",
}


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark

    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", maybe_placeholders=False)


class _Located:
    """Maps offsets inside a condition string to positions in the rule file."""

    def __init__(self, text: str, doc: YamlDocument | None, node: Any) -> None:
        self.text = text
        self.doc = doc
        self.node = node
        self._pairs: tuple[list[int], list[int]] | None = None  # see _source_index

    def position(self, offset: int) -> tuple[int | None, int | None]:
        """(line, column), 1-based, of character ``offset`` of the condition in the rule file."""
        if self.doc is None or self.node is None:
            line = self.text.count("\n", 0, offset) + 1
            return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        src, node = self.doc.text, self.node
        if self._pairs is None:  # once per condition: a long one has many tokens
            self._pairs = ([k for k, ch in enumerate(self.text) if ch not in _BLANK], _solid_sources(src, node))
        idx = _source_index(*self._pairs, src, self.text, offset)
        if idx is None:  # the value does not match its source (a tag or an anchor before it): find it
            raw = src[node.start_mark.index : node.end_mark.index]
            k = raw.find(self.text) if self.text else -1
            idx = node.start_mark.index + (k + offset if k >= 0 else (1 if node.style in ('"', "'") else 0))
        return src.count("\n", 0, idx) + 1, idx - (src.rfind("\n", 0, idx) + 1) + 1

    def span(self, offset: int) -> Span:
        return Span(*self.position(offset))

    def error(self, message: str, offset: int) -> RuleSyntaxError:
        line, col = self.position(offset)
        if self.doc is not None:
            ctx = caret_context(self.doc.text, line, col)
            return RuleSyntaxError(message, path=self.doc.path, line=line, column=col, context=ctx)
        ctx = caret_context(self.text, line, col)
        return RuleSyntaxError(message, path=None, line=line, column=col, context=ctx)


_BLANK = frozenset(" \t\r\n\x85\u2028\u2029")  # what YAML folds, indents or chomps: never part of a token


def _solid_sources(src: str, node: Any) -> list[int]:
    """The indices in ``src`` of the non-blank characters of scalar ``node``'s value, in order.

    Folding (``>``, plain and quoted scalars over several lines), block indentation, chomping and
    line continuations change only blanks; quoted scalars' escapes (``''``, ``\\"``, ``\\x41``) stand
    for one character each, counted at their first source character.
    """
    from yaml.scanner import Scanner

    start, end, style = node.start_mark.index, node.end_mark.index, node.style
    if style in ("|", ">"):  # the content starts on the line after the header (| > indicators, comment)
        start = src.find("\n", start, end) + 1 or end
    elif style in ('"', "'"):
        start, end = start + 1, end - 1
    out: list[int] = []
    i = start
    while i < end:
        ch, width = src[i], 1
        if style == "'" and ch == "'":  # '' stands for one quote
            width = 2
        elif style == '"' and ch == "\\":
            code = src[i + 1 : i + 2]
            if code in Scanner.ESCAPE_CODES:
                width = 2 + Scanner.ESCAPE_CODES[code]
                try:
                    ch = chr(int(src[i + 2 : i + width], 16))
                except ValueError:
                    return []
            else:
                width, ch = 2, Scanner.ESCAPE_REPLACEMENTS.get(code, " ")  # '\\' + line break: joins lines
        if ch not in _BLANK:
            out.append(i)
        i += width
    return out


def _source_index(solid: list[int], sources: list[int], src: str, text: str, offset: int) -> int | None:
    """The index in ``src`` of character ``offset`` of ``text``, a scalar's value (any style: plain,
    quoted, literal ``|`` or folded ``>``), from ``solid``, the offsets of the value's non-blank
    characters, and ``sources``, theirs in ``src`` (:func:`_solid_sources`); None when they do not match."""
    import bisect

    if not solid or len(solid) != len(sources):
        return None
    n = bisect.bisect_left(solid, offset)  # non-blank characters before ``offset``
    if n < len(solid) and solid[n] == offset:
        return sources[n]
    if n == 0:  # blanks before the first character: at it
        return sources[0]
    gap = offset - solid[n - 1]  # blanks after a character: as many columns after it, on its line
    same_line = "\n" not in text[solid[n - 1] : offset] and "\n" not in src[sources[n - 1] : sources[n - 1] + gap]
    return sources[n - 1] + (gap if same_line else 1)


def number_value(text: str) -> Fraction | str:
    """The exact value of a number token, or the message saying why it is out of range.

    Checked before ``Fraction`` sees the text: ``1e999999999`` would build a billion-digit integer.
    """
    m = _NUMBER.fullmatch(text)
    digits = len((m.group("int") or "") + (m.group("frac") or "")) if m else len(text)
    exp_text = (m.group("exp") if m else None) or "0"
    exp = int(exp_text) if len(exp_text) < 6 else 10**6
    if digits > 30 or abs(exp) > 30:
        return (
            f"number {text[:20]}{'…' if len(text) > 20 else ''} is out of range (at most 30 digits and |exponent| ≤ 30)"
        )
    value = Fraction(text)
    if abs(value) > MAX_ABS_NUMBER:
        return f"number {text} is out of range (|x| ≤ 1e15)"
    return value


def _number(token: Any, loc: _Located) -> Fraction:
    value = number_value(str(token))
    if isinstance(value, str):
        raise loc.error(value, token.start_pos)
    return value


def _string(token: Any) -> str:
    body = str(token)[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _feature(tok: Any, loc: _Located) -> str:
    from snas.datasets import normalise_name
    from snas.exceptions import DatasetError

    s = str(tok)
    raw = s[1:-1].strip() if s.startswith("`") else s
    try:
        return normalise_name(raw)  # the same names the dataset loader gives columns
    except DatasetError:
        raise loc.error(f"feature name {s} has no letters or digits", tok.start_pos) from None


def _build(tree: Any, loc: _Located) -> Condition:
    """Lark parse tree → condition tree, iteratively (hostile nesting cannot blow the stack)."""
    from lark import Tree

    # post-order traversal with an explicit stack
    out: dict[int, Condition] = {}
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        node, done = stack.pop()
        kind = node.data
        if kind in ("or_", "and_", "not_") and not done:
            stack.append((node, True))
            stack.extend((c, False) for c in node.children if isinstance(c, Tree))
            continue
        if kind == "or_" or kind == "and_":
            items: list[Condition] = []
            cls = Or if kind == "or_" else And
            for c in node.children:
                sub = out.pop(id(c))
                items.extend(sub.items if isinstance(sub, cls) else (sub,))
            out[id(node)] = cls(tuple(items))
        elif kind == "not_":
            out[id(node)] = Not(out.pop(id(node.children[0])))
        else:
            out[id(node)] = _leaf(node, loc)
    return out[id(tree)]


def _value_of(node: Any, loc: _Located) -> tuple[Any, Span]:
    tok = node.children[0]
    if node.data == "number":
        return _number(tok, loc), loc.span(tok.start_pos)
    return _string(tok), loc.span(tok.start_pos)


def _feature_of(node: Any, loc: _Located) -> tuple[str, Span]:
    tok = node.children[0]
    return _feature(tok, loc), loc.span(tok.start_pos)


def _leaf(node: Any, loc: _Located) -> Condition:
    """A comparison, range or membership test of the parse tree."""
    from lark import Tree

    kind, ch = node.data, node.children
    if kind == "compare":
        (fname, fspan), (val, vspan) = _feature_of(ch[0], loc), _value_of(ch[2], loc)
        return Compare(fname, str(ch[1]), val, fspan, vspan)  # type: ignore[arg-type]
    if kind == "compare_reversed":
        (val, vspan), (fname, fspan) = _value_of(ch[0], loc), _feature_of(ch[2], loc)
        return Compare(fname, FLIPPED_OP[str(ch[1])], val, fspan, vspan)  # type: ignore[arg-type]
    if kind == "between":
        (lo, lspan), op1 = _value_of(ch[0], loc), str(ch[1])
        (fname, fspan), op2, (hi, hspan) = _feature_of(ch[2], loc), str(ch[3]), _value_of(ch[4], loc)
        if op1 not in ("<", "<=") or op2 not in ("<", "<="):
            raise loc.error("a range must read 'low < feature < high' (with < or <=)", ch[1].start_pos)
        return And(
            (
                Compare(fname, FLIPPED_OP[op1], lo, fspan, lspan),  # type: ignore[arg-type]
                Compare(fname, op2, hi, fspan, hspan),  # type: ignore[arg-type]
            )
        )
    if kind in ("member", "not_member"):
        fname, fspan = _feature_of(ch[0], loc)
        pairs = [_value_of(v, loc) for v in ch[-1].children if isinstance(v, Tree)]
        if not pairs:
            raise loc.error("an empty list: write at least one value inside [ ]", fspan_offset(node))
        return Member(fname, tuple(p[0] for p in pairs), kind == "not_member", fspan, tuple(p[1] for p in pairs))
    raise loc.error(f"internal: unexpected node {kind}", 0)  # pragma: no cover - grammar and builder disagree


def fspan_offset(node: Any) -> int:
    tok = node.children[0].children[0]
    return int(tok.start_pos)


def _depth_ok(text: str) -> int:
    depth = best = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "([":
            depth += 1
            best = max(best, depth)
        elif ch in ")]":
            depth -= 1
    return best


def parse_condition(text: str, *, _doc: YamlDocument | None = None, _node: Any = None) -> Condition:
    """Parse one condition (``'age >= 21 and occupation in ["Sales"]'``) into a tree.

    Raises
    ------
    RuleSyntaxError
        With line, column and a caret line, for anything the grammar does not accept.
    """
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
    )

    loc = _Located(text, _doc, _node)
    if not isinstance(text, str) or not text.strip():
        raise loc.error("empty condition: write a comparison such as 'age >= 21'", 0)
    if len(text) > MAX_CONDITION_CHARS:
        raise loc.error(
            f"a condition of {len(text):,} characters; at most {MAX_CONDITION_CHARS:,} (MAX_CONDITION_CHARS) — "
            "split it into several rules",
            0,
        )
    if _depth_ok(text) > MAX_CONDITION_DEPTH or text.count("not") > MAX_CONDITION_DEPTH * 4:
        raise loc.error(
            f"condition nested deeper than {MAX_CONDITION_DEPTH} levels (MAX_CONDITION_DEPTH); simplify it", 0
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        pos = int(exc.pos_in_stream or 0)
        ch = text[pos] if pos < len(text) else ""
        raise loc.error(f"unexpected character {ch!r}{_char_hint(ch)}", pos) from None
    except UnexpectedEOF as exc:
        raise loc.error(f"unexpected end of the condition; expected {_expected(exc.expected)}", len(text)) from None
    except UnexpectedToken as exc:
        tok = exc.token
        what = "end of the condition" if tok.type == "$END" else repr(str(tok))
        hint = ""
        if tok.type in ("_AND", "_OR", "_NOT", "_IN") and "NAME" in exc.expected:
            hint = f" ('{tok}' is a reserved word; write a feature with that name as `{tok}`)"
        pos = len(text.rstrip()) if tok.type == "$END" or tok.start_pos is None else tok.start_pos
        raise loc.error(f"unexpected {what}; expected {_expected(exc.expected)}{hint}", pos) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark errors
        raise loc.error(
            f"cannot parse the condition ({exc.__class__.__name__})", getattr(exc, "pos_in_stream", 0) or 0
        ) from None
    return _build(tree, loc)


_CHAR_HINTS = {
    "=": " (write '==' to compare for equality)",
    ".": " (attribute access is not part of the rule language; write a feature name)",
    '"': " (close the quoted text on the same line)",
    "'": " (close the quoted text on the same line)",
    "`": " (close the `quoted feature name`)",
}


def _char_hint(ch: str) -> str:
    """What to write instead of a character the condition language does not have."""
    if ch and ch in "&|!~":
        return " (write 'and', 'or', 'not')"
    return _CHAR_HINTS.get(ch, " (remove it; write text values in quotes)")


def _expected(names: Any) -> str:
    labels = sorted({_TERMINAL_NAMES.get(n, n.lower()) for n in names})
    return ", ".join(labels[:6]) if labels else "something else"


def parse_rules(text: str, path: str | os.PathLike[str] | None = None) -> RuleSet:
    """Parse the text of a rule file (``snas_rules: 1``) into a :class:`RuleSet`.

    Parameters
    ----------
    text : str
        The YAML text of a rule file. Conditions are parsed by snas's own grammar, never executed.
    path : str or path, optional
        Where the text came from; named in error messages and kept as ``RuleSet.path``.

    Raises
    ------
    RuleSyntaxError
        For invalid YAML, keys or conditions, with the line, column and a caret excerpt.

    Examples
    --------
    >>> rules = parse_rules('''
    ... snas_rules: 1
    ... target: {column: income, positive: ">50K"}
    ... rules:
    ...   - id: minor-age
    ...     if: age < 21
    ...     then: "<=50K"
    ...     strength: hard
    ... ''')
    >>> [r.id for r in rules.hard], rules.target
    (['minor-age'], 'income')
    """
    spath = None if path is None else str(path)
    doc = YamlDocument(text, spath, RuleSyntaxError)
    fail = _failer(doc)
    d = _top(doc.data, fail)
    target, positive = _target(d, fail)
    raw_rules = d.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise fail(
            "'rules' must be a non-empty list of rules (each with id, if, then)", *(("rules",) if "rules" in d else ())
        )
    if len(raw_rules) > MAX_RULES:
        raise fail(
            f"{len(raw_rules):,} rules; a rule file holds at most {MAX_RULES:,} (MAX_RULES) — "
            "merge rules with the same conclusion ('or') or keep the ones the domain needs",
            "rules",
        )
    seen: dict[str, int] = {}
    rules = [_rule(r, i, doc, fail, seen) for i, r in enumerate(raw_rules)]
    dataset = _text(d.get("dataset"), fail, "'dataset'", "dataset")
    return RuleSet(
        rules=tuple(rules),
        target=target,
        positive=positive,
        dataset=dataset or None,
        constraints=_constraints(d.get("constraints"), fail),
        path=spath,
        text=text,
        sha256=sha256_bytes(text.encode("utf-8")),
    )


def _failer(doc: YamlDocument) -> Callable[..., RuleSyntaxError]:
    """``fail(message, *keys)``: a RuleSyntaxError at the value found under ``keys``."""

    def fail(msg: str, *keys: str | int, key: bool = False) -> RuleSyntaxError:
        loc = doc.locate(*keys, key=key) if keys else None
        line, col = (loc.line, loc.column) if loc else (None, None)
        return RuleSyntaxError(msg, path=doc.path, line=line, column=col, context=caret_context(doc.text, line, col))

    return fail


def _top(d: Any, fail: Callable[..., RuleSyntaxError]) -> dict[Any, Any]:
    if not isinstance(d, dict):
        raise fail("a rule file must be a YAML mapping; write 'snas_rules: 1' as its first line, then 'rules:'")
    if d.get("snas_rules") != 1 or isinstance(d.get("snas_rules"), bool):
        raise fail("missing or unsupported 'snas_rules' version; write 'snas_rules: 1' at the top")
    for k in d:
        if k not in _TOP_KEYS:
            raise fail(unknown_key(k, _TOP_KEYS), k, key=True)
    _text(d.get("description"), fail, "'description'", "description")
    return d


def _target(d: dict[Any, Any], fail: Callable[..., RuleSyntaxError]) -> tuple[str | None, str | None]:
    if "target" not in d:
        return None, None
    t = d["target"]
    if _is_label(t):
        return str(t), None
    if isinstance(t, dict) and "column" in t and set(t) <= {"column", "positive"} and _is_label(t["column"]):
        positive = t.get("positive")
        if positive is not None and not _is_label(positive):
            raise fail(
                "'target.positive' must be a class label such as \">50K\" (text, in quotes)", "target", "positive"
            )
        return str(t["column"]), (None if positive is None else str(positive))
    raise fail("'target' must be a column name or {column: NAME, positive: LABEL}", "target")


def _is_label(value: Any) -> bool:
    """Text or an integer: a column name or class label (not true/false, 1.10, a list ...)."""
    return isinstance(value, str | int) and not isinstance(value, bool)


def _text(value: Any, fail: Callable[..., RuleSyntaxError], what: str, *keys: str | int) -> str:
    """A free-text field (rationale, source ...): a string or nothing, never a list or mapping."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fail(f"{what} must be text, got {type_name(value)}; {TEXT_HINT}", *keys)
    return value.strip()


def _rule(r: Any, i: int, doc: YamlDocument, fail: Callable[..., RuleSyntaxError], seen: dict[str, int]) -> Rule:
    """Rule #i of the file, validated."""
    if not isinstance(r, dict):
        raise fail("each rule is a mapping with at least 'id', 'if' and 'then'", "rules", i)
    for k in r:
        if k not in _RULE_KEYS:
            raise fail(unknown_key(k, _RULE_KEYS, " in a rule"), "rules", i, k, key=True)
    for k in ("id", "if", "then"):
        if k not in r:
            raise fail(f"rule #{i + 1} lacks {shown(k)}; every rule needs id, if and then", "rules", i)
    rid = _rule_id(r["id"], i, fail, seen)
    cond, unless = _conditions(r, rid, i, doc, fail)
    head = r["then"]
    if not _is_label(head):
        raise fail(f"rule {shown(rid)}: 'then' must be a class label such as \">50K\"", "rules", i, "then")
    strength, weight, priority = _strength(r, rid, i, fail)
    rloc = doc.locate("rules", i)
    return Rule(
        id=rid,
        condition=cond,
        head=str(head),
        strength=strength,
        unless=unless,
        weight=weight,
        priority=priority,
        rationale=_text(r.get("rationale"), fail, f"rule {shown(rid)}: 'rationale'", "rules", i, "rationale"),
        source=_text(r.get("source"), fail, f"rule {shown(rid)}: 'source'", "rules", i, "source"),
        if_text=r["if"].strip(),
        unless_text=(r.get("unless") or "").strip(),
        span=Span(rloc.line, rloc.column) if rloc else Span(),
    )


def _rule_id(value: Any, i: int, fail: Callable[..., RuleSyntaxError], seen: dict[str, int]) -> str:
    rid = str(value) if _is_label(value) else ""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", rid) or len(rid) > MAX_ID_CHARS:
        raise fail(
            f"rule id {shown(value)} must start with a letter or digit and use only letters, digits, '-', '_', '.' "
            f"(at most {MAX_ID_CHARS} characters)",
            "rules",
            i,
            "id",
        )
    if rid in seen:
        raise fail(
            f"duplicate rule id {shown(rid)} (first used by rule #{seen[rid] + 1}); give each rule its own id",
            "rules",
            i,
            "id",
        )
    seen[rid] = i
    return rid


def _conditions(
    r: dict[Any, Any], rid: str, i: int, doc: YamlDocument, fail: Callable[..., RuleSyntaxError]
) -> tuple[Condition, Condition | None]:
    """The parsed ``if`` and ``unless`` conditions of one rule."""
    if not isinstance(r["if"], str):
        raise fail(f"rule {shown(rid)}: 'if' must be a condition written as text", "rules", i, "if")
    cond = parse_condition(r["if"], _doc=doc, _node=doc.scalar_node("rules", i, "if"))
    if r.get("unless") is None:
        return cond, None
    if not isinstance(r["unless"], str):
        raise fail(f"rule {shown(rid)}: 'unless' must be a condition written as text", "rules", i, "unless")
    return cond, parse_condition(r["unless"], _doc=doc, _node=doc.scalar_node("rules", i, "unless"))


def _strength(
    r: dict[Any, Any], rid: str, i: int, fail: Callable[..., RuleSyntaxError]
) -> tuple[Strength, float, int | None]:
    """(strength, weight, priority) of one rule."""
    strength = r.get("strength", "soft")
    if strength not in ("hard", "soft"):
        raise fail(
            f"rule {shown(rid)}: strength must be 'hard' or 'soft', got {shown(strength)}."
            f"{did_you_mean(str(strength), ('hard', 'soft'))}",
            "rules",
            i,
            "strength",
        )
    weight = r.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < float(weight) <= 1000:
        raise fail(
            f"rule {shown(rid)}: weight must be a number in (0, 1000], got {shown(weight)}", "rules", i, "weight"
        )
    if strength == "hard" and "weight" in r:
        raise fail(
            f"rule {shown(rid)}: a hard rule is enforced exactly and takes no weight; remove 'weight' or make it soft",
            "rules",
            i,
            "weight",
        )
    priority = r.get("priority")
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
        raise fail(
            f"rule {shown(rid)}: priority must be an integer (lower wins), got {shown(priority)}",
            "rules",
            i,
            "priority",
        )
    if strength == "soft" and "priority" in r:
        raise fail(
            f"rule {shown(rid)}: priority decides between overlapping hard rules; a soft rule takes none — "
            "remove 'priority' or make the rule hard",
            "rules",
            i,
            "priority",
        )
    return strength, float(weight), priority


def _names(value: Any, fail: Any, *keys: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"'{'.'.join(keys)}' must be a list of feature names", *keys)
    return tuple(value)


def _constraints(c: Any, fail: Any) -> Constraints:
    if c is None:
        return Constraints()
    if not isinstance(c, dict):
        raise fail("'constraints' must be a mapping", "constraints")
    for k in c:
        if k not in _CONSTRAINT_KEYS:
            raise fail(unknown_key(k, _CONSTRAINT_KEYS, " in 'constraints'"), "constraints", k, key=True)
    mono = c.get("monotonic") or {}
    if not isinstance(mono, dict) or any(k not in ("increasing", "decreasing") for k in mono):
        raise fail("'monotonic' must be {increasing: [...], decreasing: [...]}", "constraints", "monotonic")
    inc = _names(mono.get("increasing"), fail, "constraints", "monotonic", "increasing")
    dec = _names(mono.get("decreasing"), fail, "constraints", "monotonic", "decreasing")
    both = set(inc) & set(dec)
    if both:
        raise fail(
            f"{sorted(both)} cannot be both increasing and decreasing; list each feature under one of them",
            "constraints",
            "monotonic",
        )
    maxp = c.get("max_parameters")
    if maxp is not None and (isinstance(maxp, bool) or not isinstance(maxp, int) or maxp < 1):
        raise fail(f"max_parameters must be a positive integer, got {shown(maxp)}", "constraints", "max_parameters")
    return Constraints(
        monotonic_increasing=inc,
        monotonic_decreasing=dec,
        exclude_features=_names(c.get("exclude_features"), fail, "constraints", "exclude_features"),
        audit_proxies=_names(c.get("audit_proxies"), fail, "constraints", "audit_proxies"),
        max_parameters=maxp,
    )


def read_rule_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of a rule file (YAML or Datalog), within the size limit.

    Parameters
    ----------
    path : str or path
        The file to read.

    Returns
    -------
    str
        Its text.

    Raises
    ------
    RuleFileError
        When the file is missing, a directory or cannot be read (the message names it and the fix).
    RuleSyntaxError
        When it is too large or not UTF-8 text (errors in the file's content).
    """
    return read_text_file(Path(path), RuleSyntaxError, RuleFileError)


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Read and parse a rule file.

    Parameters
    ----------
    path : str or path
        A rule file (YAML starting with ``snas_rules: 1``), e.g. ``rules/census_income.yaml``.

    Returns
    -------
    RuleSet
        The rules, with ``path``, the file's text and its sha256.

    Raises
    ------
    RuleFileError
        When the file is missing, a directory or cannot be read (a :class:`RuleSyntaxError` too).
    RuleSyntaxError
        When the file is not a valid rule file (with line and column).

    Examples
    --------
    >>> rules = load_rules("rules/census_income.yaml")  # doctest: +SKIP
    >>> [r.id for r in rules.hard]  # doctest: +SKIP
    """
    p = Path(path)
    return parse_rules(read_rule_text(p), p)
