"""Every hostile input answered: a data-driven corpus run through ``snas.cli.main`` in-process.

Case format — ``tests/hostile/cases.yaml`` is a list of mappings (read with snas's own YAML
loader, so a duplicated key in it is an error too)::

    - id: rules-duplicate-strength        # unique; the pytest id
      argv: [check, '{corpus}/rules/duplicate_strength.yaml', --no-data]
      exit: 1                             # the expected exit code: 0, 1 (rules) or 2 (usage, I/O, data)
      match: ['duplicate_strength\\.yaml:9:5: duplicate key']   # regexes; each must occur in stdout+stderr
      not_match: ['\\x1b']                # optional: regexes that must not occur
      make: alias_bomb_rules              # optional: a GENERATORS entry that writes the input into {tmp}
      seconds: 2                          # optional: wall-time limit (default 10)
      strict_log: '{tmp}/decisions.jsonl' # optional: every line of this file is strict JSON
      needs: /dev/zero                    # optional: skip unless this path exists
      file: null                          # optional: the file the message must name (default: the
                                          #   first argument under {corpus} or {tmp}; null: none)

Placeholders in ``argv``, ``strict_log`` and ``file``: ``{corpus}`` (tests/hostile/corpus),
``{tmp}`` (the case's own tmp_path), ``{root}`` (the repository), ``{model}`` (a tiny census model
trained once per session; predict cases only). ``argv[0]`` may name a pseudo-command for inputs
whose real command is too slow to run per case: ``@documentation PATH`` calls
``snas.audit.load_documentation(PATH)``, the reader behind ``snas audit RUN --documentation``.

Besides ``exit`` and ``match``, every case asserts (``conftest.check_answer``): exit code in
{0, 1, 2}; no ``Traceback``; stderr is one short paragraph (≤ 8 lines) that says what to do and
names the file; wall time under the limit; peak RSS less than 1 GB above the start; and nothing
written outside tmp_path (the working tree and the model directory are snapshotted).

To add a case (search configs, model files ...): put the input under ``corpus/<kind>/`` (or a
generator below for big inputs) and append an entry to ``cases.yaml``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
CENSUS_RULES = (ROOT / "rules" / "census_income.yaml").read_text(encoding="utf-8")
CENSUS_MANIFEST = (ROOT / "datasets" / "census_income.yaml").read_text(encoding="utf-8")
CENSUS_DOC = (ROOT / "audit" / "census_income.yaml").read_text(encoding="utf-8")


# ------------------------------------------------------------------ generators of big inputs
def _alias_bomb(head: str, key: str) -> str:
    """Nine levels of nine aliases ("billion laughs"): 9**9 strings if expanded."""
    lines = [head.rstrip("\n"), f"{key}:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def _fifty_mb(text: str) -> str:
    return text * (50_000_000 // len(text) + 1)


def alias_bomb_rules(tmp: Path) -> None:
    head = "snas_rules: 1\nrules:\n  - id: r\n    if: age > 1\n    then: x\n"
    (tmp / "alias_bomb.yaml").write_text(_alias_bomb(head, "    rationale").replace("\n  a", "\n      a"))


def rules_50mb(tmp: Path) -> None:
    rules = "".join(f"  - id: r{i}\n    if: age >= {i % 90}\n    then: '>50K'\n" for i in range(1000))
    (tmp / "big.yaml").write_text("snas_rules: 1\nrules:\n" + _fifty_mb(rules))


def rules_just_over_limit(tmp: Path) -> None:
    head = "snas_rules: 1\nrules:\n  - {id: r, if: age > 1, then: x}\n# "
    (tmp / "over.yaml").write_text(head + "x" * (1_000_001 - len(head) - 1) + "\n")


def rules_1001(tmp: Path) -> None:
    rules = "".join(f"  - {{id: r{i}, if: age >= {i % 90}, then: '>50K'}}\n" for i in range(1001))
    (tmp / "many.yaml").write_text("snas_rules: 1\ndataset: census_income\nrules:\n" + rules)


def rules_deep_flow(tmp: Path) -> None:
    (tmp / "deep.yaml").write_text(CENSUS_RULES + "description: " + "[" * 100_000 + "]" * 100_000 + "\n")


def alias_bomb_manifest(tmp: Path) -> None:
    (tmp / "bomb.yaml").write_text(_alias_bomb(CENSUS_MANIFEST.split("files:")[0], "description"))


def manifest_50mb(tmp: Path) -> None:
    (tmp / "big.yaml").write_text(CENSUS_MANIFEST + "# " + _fifty_mb("padding ") + "\n")


def alias_bomb_documentation(tmp: Path) -> None:
    (tmp / "bomb.yaml").write_text(_alias_bomb("snas_documentation: 1\n", "intended_purpose"))


def documentation_50mb(tmp: Path) -> None:
    (tmp / "big.yaml").write_text(CENSUS_DOC + "# " + _fifty_mb("padding ") + "\n")


def prolog_1001(tmp: Path) -> None:
    (tmp / "many.pl").write_text("".join(f"class(Age, '>50K') :- Age > {i}.\n" for i in range(1001)))


def prolog_big(tmp: Path) -> None:
    (tmp / "big.pl").write_text("% padding\n" * 110_000 + "class(Age, '>50K') :- Age > 1.\n")


def csv_huge_field(tmp: Path) -> None:
    header = (CORPUS / "csv" / "valid.csv").read_text(encoding="utf-8").splitlines()[:2]
    row = header[1].replace("Private", "x" * 1_000_000, 1)
    (tmp / "huge_field.csv").write_text(header[0] + "\n" + row + "\n")


def csv_absurd_values(tmp: Path) -> None:
    """Absurd but finite numbers in every row: the scores must stay finite (clamped), never NaN."""
    import pandas as pd

    frame = pd.read_csv(CORPUS / "csv" / "valid.csv")
    frame["hours-per-week" if "hours-per-week" in frame else "hours_per_week"] = 1e300
    frame["fnlwgt"] = -1e300
    frame.to_csv(tmp / "absurd.csv", index=False)


def _model_copy(tmp: Path, places: dict[str, str]) -> Path:
    import shutil

    shutil.copytree(places["model"], tmp / "model")
    return tmp / "model"


def _edit_meta(tmp: Path, places: dict[str, str], edit: Callable[[dict[str, Any]], Any]) -> None:
    import json

    path = _model_copy(tmp, places) / "model.json"
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def model_classes_swapped(tmp: Path, places: dict[str, str]) -> None:
    _edit_meta(tmp, places, lambda m: m["task"].update(classes=m["task"]["classes"][::-1]))


def model_estimator_classes_swapped(tmp: Path, places: dict[str, str]) -> None:
    _edit_meta(tmp, places, lambda m: m["extra"]["estimator"].update(classes=m["extra"]["estimator"]["classes"][::-1]))


def model_hard_rules_emptied(tmp: Path, places: dict[str, str]) -> None:
    _edit_meta(tmp, places, lambda m: m["task"]["compiled"].update(hard=[]))


def model_rule_text_edited(tmp: Path, places: dict[str, str]) -> None:
    _edit_meta(tmp, places, lambda m: m["task"].update(rules_text=m["task"]["rules_text"].replace("7500", "75")))


def model_feature_name_truncated(tmp: Path, places: dict[str, str]) -> None:
    _edit_meta(tmp, places, lambda m: m["task"]["schema"]["columns"][0].update(name="ag"))


def model_shape_edited(tmp: Path, places: dict[str, str]) -> None:
    _edit_meta(tmp, places, lambda m: m["spec"]["layers"][0].update(width=9))


def model_hash_recomputed_wrongly(tmp: Path, places: dict[str, str]) -> None:
    _edit_meta(tmp, places, lambda m: m.update(content_sha256="0" * 64))


def model_nested_brackets(tmp: Path, places: dict[str, str]) -> None:
    (_model_copy(tmp, places) / "model.json").write_text("[" * 200_000 + "]" * 200_000)


def model_not_json(tmp: Path, places: dict[str, str]) -> None:
    (_model_copy(tmp, places) / "model.json").write_bytes(b"\x00\xff\xfe garbage")


def model_foreign_json(tmp: Path, places: dict[str, str]) -> None:
    (_model_copy(tmp, places) / "model.json").write_text('{"hello": 1}')


def model_old_format(tmp: Path, places: dict[str, str]) -> None:
    (_model_copy(tmp, places) / "model.json").write_text('{"format": "snas-model/2"}')


def model_weights_flipped(tmp: Path, places: dict[str, str]) -> None:
    w = _model_copy(tmp, places) / "model.safetensors"
    raw = bytearray(w.read_bytes())
    raw[-3] ^= 0xFF
    w.write_bytes(bytes(raw))


def model_weights_missing(tmp: Path, places: dict[str, str]) -> None:
    (_model_copy(tmp, places) / "model.safetensors").unlink()


def model_weights_truncated(tmp: Path, places: dict[str, str]) -> None:
    w = _model_copy(tmp, places) / "model.safetensors"
    w.write_bytes(w.read_bytes()[:40])


MODEL_EDITS = (
    model_classes_swapped,
    model_estimator_classes_swapped,
    model_hard_rules_emptied,
    model_rule_text_edited,
    model_feature_name_truncated,
    model_shape_edited,
    model_hash_recomputed_wrongly,
    model_nested_brackets,
    model_not_json,
    model_foreign_json,
    model_old_format,
    model_weights_flipped,
    model_weights_missing,
    model_weights_truncated,
)

GENERATORS: dict[str, Callable[..., None]] = {
    f.__name__: f
    for f in (
        alias_bomb_rules,
        rules_50mb,
        rules_just_over_limit,
        rules_1001,
        rules_deep_flow,
        alias_bomb_manifest,
        manifest_50mb,
        alias_bomb_documentation,
        documentation_50mb,
        prolog_1001,
        prolog_big,
        csv_huge_field,
        csv_absurd_values,
        *MODEL_EDITS,
    )
}


# ------------------------------------------------------------------ the cases
def _load_cases() -> list[dict[str, Any]]:
    from snas._yaml import read_yaml

    cases = read_yaml(HERE / "cases.yaml", ValueError).data
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


CASES = _load_cases()


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _named_file(case: dict[str, Any], argv: list[str], places: dict[str, str]) -> str | None:
    if "file" in case:
        return None if case["file"] is None else _fill(case["file"], places)
    roots = (places["corpus"], places["tmp"])
    return next((a for a in argv if a.startswith(roots)), None)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_input_is_answered(
    case: dict[str, Any], isolated: Path, harness: Any, request: pytest.FixtureRequest
) -> None:
    if case.get("needs") and not os.path.exists(case["needs"]):
        pytest.skip(f"{case['needs']} does not exist here")
    places = {"corpus": str(CORPUS), "tmp": str(isolated), "root": str(ROOT)}
    edits_model = case.get("make") in {f.__name__ for f in MODEL_EDITS}
    uses_model = edits_model or any("{model}" in a for a in case["argv"])
    if uses_model:
        places["model"] = str(request.getfixturevalue("hostile_model"))
    if case.get("make"):
        make = GENERATORS[case["make"]]
        make(isolated, places) if edits_model else make(isolated)
    argv = [_fill(a, places) for a in case["argv"]]
    watched = [ROOT] + ([Path(places["model"])] if uses_model else [])
    before = harness.snapshot(*watched)

    answer = harness.run_snas(argv)

    assert not harness.changed(before, harness.snapshot(*watched)), "files were written outside tmp_path"
    assert answer.code == case["exit"], f"exit {answer.code}, expected {case['exit']}:\n{answer.text[-3000:]}"
    for pattern in case.get("match", []):
        assert re.search(pattern, answer.text), f"no match for {pattern!r} in:\n{answer.text[-3000:]}"
    for pattern in case.get("not_match", []):
        assert not re.search(pattern, answer.text), f"{pattern!r} should not occur in:\n{answer.text[-3000:]}"
    harness.check_answer(answer, names=_named_file(case, argv, places), max_seconds=float(case.get("seconds", 10)))
    if case.get("strict_log"):
        harness.check_strict_log(Path(_fill(case["strict_log"], places)))


def test_corpus_is_large_and_covers_every_input_kind() -> None:
    kinds = {c["id"].split("-")[0] for c in CASES}
    assert {"rules", "manifest", "documentation", "csv", "prolog", "cli"} <= kinds
    assert len(CASES) >= 110
    unused = sorted(set(GENERATORS) - {c.get("make") for c in CASES})
    assert not unused, f"generators without a case: {unused}"
