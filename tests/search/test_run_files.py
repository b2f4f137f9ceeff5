"""Every JSON file of a run is read through one guarded reader: a file nested too deep, of
the wrong top-level type or otherwise not what snas wrote is a ConfigError naming the file
and the fix — never a RecursionError or TypeError — and snas never writes over it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from snas._util import MAX_JSON_DEPTH, parse_json_text, read_json_file
from snas.exceptions import ConfigError
from snas.search import RunDirectory
from snas.search._evolution import EvolutionLog

ROOT = Path(__file__).resolve().parents[2]
DEEP = "[" * 200_000  # RecursionError in json.loads
NESTED = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)  # parses; deeper than snas writes


@pytest.mark.parametrize(
    "text, fragment",
    [
        (DEEP, f"nested more than {MAX_JSON_DEPTH} levels deep"),
        (NESTED, f"nested more than {MAX_JSON_DEPTH} levels deep"),
        ("{not json", "damaged, not JSON"),
        ("[1e999]", "too large a number"),
        ('{"a": NaN}', "NaN is not a number"),
        ("[]", "its top level is an array; snas writes an object there"),
        ('"text"', "its top level is a string"),
        ("3", "its top level is a number"),
    ],
)
def test_the_guarded_reader_names_the_file_and_the_fix(tmp_path, text, fragment):
    p = tmp_path / "f.json"
    p.write_text(text)
    with pytest.raises(ConfigError) as err:
        read_json_file(p, fix="do this")
    msg = str(err.value)
    assert msg.startswith(f"{p}: ") and fragment in msg and msg.endswith("; do this")


def test_the_guarded_reader_reads_what_snas_writes(tmp_path):
    p = tmp_path / "f.json"
    nested: list = []
    for _ in range(MAX_JSON_DEPTH - 2):  # with the object around it: exactly the limit
        nested = [nested]
    p.write_text(json.dumps({"a": nested, "b": 1e300}))
    assert read_json_file(p, fix="")["b"] == 1e300
    assert parse_json_text("[NaN]", allow_nan=True)[0] != 0  # resume caches may hold NaN
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_json_file(tmp_path / "bin.json", fix="")


def _run(tmp_path: Path) -> RunDirectory:
    run = RunDirectory(tmp_path / "run")
    run.prepare()
    return run


READERS = {
    "manifest.json": RunDirectory.read_manifest,
    "front.json": RunDirectory.read_front,
    "search.json": RunDirectory.read_summary,
    "history.json": RunDirectory.read_history,
}


@pytest.mark.parametrize("name", list(READERS))
@pytest.mark.parametrize("text", [DEEP, NESTED, "null", "1"])
def test_run_files_too_deep_or_of_the_wrong_type_are_config_errors(tmp_path, name, text):
    run = _run(tmp_path)
    (run.path / name).write_text(text)
    with pytest.raises(ConfigError) as err:
        READERS[name](run)
    msg = str(err.value)
    assert msg.startswith(f"{run.path / name}: damaged") and "search again into a new folder" in msg
    if name != "manifest.json":  # verify cannot help while the manifest itself is damaged
        assert f"'snas audit verify {run.path}'" in msg


@pytest.mark.parametrize("name", list(READERS))
def test_run_files_of_the_other_container_type_are_config_errors(tmp_path, name):
    run = _run(tmp_path)
    (run.path / name).write_text("{}" if name == "history.json" else "[]")
    with pytest.raises(ConfigError, match=r"damaged \(its top level is an"):
        READERS[name](run)


def test_history_entries_that_are_not_evaluations_are_config_errors(tmp_path):
    run = _run(tmp_path)
    for text in ("[1]", '[{"number": 1, "colour": "red"}]', '{"a": 1}'):
        run.history.write_text(text)
        with pytest.raises(ConfigError, match=r"history\.json: damaged"):
            run.read_history()


def test_a_damaged_marker_keeps_the_worker_name_from_crashing(tmp_path):
    run = _run(tmp_path)
    (run.path / ".snas-run").write_text(DEEP)
    assert ":" in run.worker_name()


@pytest.mark.parametrize(
    "text",
    [DEEP, NESTED, "[]", "{}", '{"entries": []}', '{"entries": {"k": 1}}', '{"entries": {"k": {"genome": {}}}}'],
)
def test_a_damaged_evolution_log_is_refused_and_kept(tmp_path, text):
    path = tmp_path / "evolution.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        EvolutionLog.open(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: damaged") and "search again into a new folder" in msg
    assert path.read_text() == text


def test_an_evolution_log_snas_wrote_is_read(tmp_path):
    entry = {"genome": {}, "spec": {}, "metrics": {"error": 0.2, "parameters": 10, "infidelity": 0.0}}
    log = EvolutionLog(tmp_path / "evolution.json", {"k": {**entry, "seconds": 0.1, "notes": {}}})
    log.save()
    assert EvolutionLog.open(tmp_path / "evolution.json").entries == log.entries
    assert EvolutionLog.open(tmp_path / "none.json").entries == {}  # none yet: an empty log


@pytest.fixture(scope="module")
def supernet_parts(census, census_rules):
    from snas.model import Task
    from snas.search import SearchSpace, load_config

    X = census.X_train.head(300).reset_index(drop=True)
    y = census.y_train.head(300).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    cfg = load_config(ROOT / "search" / "census_income.yaml")
    cfg = dataclasses.replace(cfg, space=dataclasses.replace(cfg.space, widths=(4, 8), max_depth=1))
    return cfg, task, SearchSpace(cfg, task.layout, None)


def _checkpoint(supernet_parts, folder: Path) -> Path:
    from snas.search import Supernet

    _cfg, task, space = supernet_parts
    sn = Supernet(task, space, seed=0)
    path = folder / "supernet"
    sn.save(path)
    return path


@pytest.mark.parametrize(
    "edit",
    [
        lambda meta: [],
        lambda meta: "[" * 200_000,
        lambda meta: {**meta, "sha256": None},
        lambda meta: {**meta, "epochs_done": "3"},
        lambda meta: {k: v for k, v in meta.items() if k != "seed"},
        lambda meta: {**meta, "steps": {"0": "x"}, "param_groups": [{}]},
        lambda meta: {**meta, "steps": {"0": 1.0}, "param_groups": [{}]},  # no optimiser tensors
    ],
)
def test_a_damaged_supernet_record_is_refused_and_kept(supernet_parts, tmp_path, edit):
    from snas.search import Supernet

    cfg, task, space = supernet_parts
    path = _checkpoint(supernet_parts, tmp_path)
    meta_path = path.with_suffix(".json")
    new = edit(json.loads(meta_path.read_text()))
    text = new if isinstance(new, str) else json.dumps(new)
    meta_path.write_text(text)
    with pytest.raises(ConfigError) as err:
        Supernet(task, space, seed=0).load(path, cfg.supernet)
    msg = str(err.value)
    assert msg.startswith(f"{meta_path}: damaged") and "search again into a new folder" in msg
    assert meta_path.read_text() == text


def test_a_checkpoint_whose_weights_its_record_does_not_name_starts_over(supernet_parts, tmp_path):
    """Stopped between writing the weights and the record: a state snas itself leaves."""
    from snas.search import Supernet

    cfg, task, space = supernet_parts
    path = _checkpoint(supernet_parts, tmp_path)
    assert Supernet(task, space, seed=0).load(path, cfg.supernet)
    path.with_suffix(".safetensors").write_bytes(b"newer weights")
    assert not Supernet(task, space, seed=0).load(path, cfg.supernet)
