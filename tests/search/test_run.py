"""Real searches on a small extract: determinism, labelled fidelities, resume after kill -9,
several workers on one ledger, and a run directory that refuses foreign folders."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snas.cli import main
from snas.search import config_from_mapping, load_config, search

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
ROOT = Path(__file__).resolve().parents[2]
FILES = (
    "config.yaml",
    "rules.yaml",
    "history.json",
    "front.json",
    "search.json",
    "manifest.json",
    "evolution.json",
    "supernet.safetensors",
    "model/model.json",
    "model/model.safetensors",
)


def _front(out: Path) -> list:
    d = json.loads((out / "front.json").read_text())
    return [(e["number"], e["genome"], e["metrics"]["error"], e["metrics"]["parameters"]) for e in d["front"]]


def test_same_seed_same_search_with_every_fidelity_labelled(tiny_search, tmp_path):
    cfg = load_config(tiny_search / "search.yaml")
    a = search(cfg, tmp_path / "a", data_dir=str(tiny_search), progress=False)
    b = search(cfg, tmp_path / "b", data_dir=str(tiny_search), progress=False)
    assert _front(tmp_path / "a") == _front(tmp_path / "b")
    assert a.result.selected.metrics == b.result.selected.metrics
    for name in FILES:
        assert (tmp_path / "a" / name).is_file(), name
    history = json.loads((tmp_path / "a" / "history.json").read_text())
    counts = {f: sum(h["fidelity"] == f for h in history) for f in ("inherited", "low", "stand-alone")}
    assert (
        counts["inherited"] == 8 and counts["low"] == 4 and counts["stand-alone"] == 2
    )  # 2×2 recipes, 1 full, 1 ensemble
    assert [h["number"] for h in history] == list(range(len(history)))
    assert {h["generation"] for h in history if h["fidelity"] == "inherited"} == {0, 1}
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["files"]["model/model.safetensors"]["sha256"]
    assert manifest["split"]["index_sha256"] and manifest["seeds"]["search"] == 0
    assert manifest["compute"]["torch_threads_per_worker"] == 1


def _states(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("select state from trials order by number")]


def _completed_values(db: Path) -> dict[int, str]:
    """Trial number → its objective values, for every finished training in the ledger."""
    with sqlite3.connect(db) as con:
        return dict(
            con.execute(
                "select t.number, group_concat(v.value) from trials t join trial_values v on t.trial_id = v.trial_id "
                "where t.state = 'COMPLETE' group by t.number"
            )
        )


def _search_command(folder: Path, out: Path, *extra: str) -> list[str]:
    """``snas search`` on the tiny extract, as a user would type it."""
    return [
        *(sys.executable, "-m", "snas", "search", str(folder / "search.yaml"), "--out", str(out)),
        *("--data-dir", str(folder), "--quiet", "--no-report", *extra),
    ]


def _elapsed(db: Path) -> dict[str, float]:
    """Worker name → seconds it has spent, as recorded in the ledger."""
    with sqlite3.connect(db) as con:
        rows = con.execute("select key, value_json from study_user_attributes where key like 'elapsed:%'")
        return {k: float(json.loads(v)) for k, v in rows}


def test_kill_9_then_resume_loses_and_repeats_nothing(tiny_search, tmp_path):
    out = tmp_path / "run"
    cmd = _search_command(tiny_search, out)
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = out / "search.db"
    deadline = time.time() + 240
    while time.time() < deadline:  # wait until one training is finished and the next one is running
        time.sleep(0.2)
        try:
            states = _states(db)
        except sqlite3.Error:
            continue
        if states.count("COMPLETE") >= 1 and states and states[-1] == "RUNNING":
            break
    else:
        proc.kill()
        pytest.fail("the search never reached a running second training")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _completed_values(db)
    spent = _elapsed(db)  # recorded as the run went, not only when it ends
    assert len(spent) == 1 and next(iter(spent.values())) > 0
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    resumed = _elapsed(db)  # the new process continues the same account (its name is not its pid)
    assert resumed.keys() == spent.keys() and resumed[next(iter(spent))] > next(iter(spent.values()))
    after = _completed_values(db)
    assert all(after[n] == v for n, v in before.items())  # nothing finished before the kill was lost or redone
    assert _states(db).count("FAIL") == 1 and len(after) == 4  # the interrupted one ran again; the budget exactly
    history = json.loads((out / "history.json").read_text())
    assert sum(h["fidelity"] != "inherited" for h in history) == 6
    assert len({h["number"] for h in history}) == len(history)


def _two_workers(folder: Path, tmp_path: Path, storage: str) -> list[list[dict]]:
    procs = []
    for i in range(2):
        cmd = _search_command(folder, tmp_path / f"w{i}", "--storage", storage)
        procs.append(subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    return [json.loads((tmp_path / f"w{i}" / "history.json").read_text()) for i in range(2)]


def _trained(history: list[dict]) -> list[tuple]:
    return sorted((h["job"], h["notes"]["recipe"], h["worker"]) for h in history if h["fidelity"] != "inherited")


def _copy_search(tiny_search: Path, dest: Path, **replace: str) -> Path:
    """The tiny search's files in ``dest``, its config edited by ``replace`` (old → new)."""
    dest.mkdir(exist_ok=True)
    cfg = (tiny_search / "search.yaml").read_text()
    for old, new in replace.items():
        assert old in cfg
        cfg = cfg.replace(old, new)
    (dest / "search.yaml").write_text(cfg)
    for f in ("manifest.yaml", "adult_small.csv", "rules.yaml"):
        (dest / f).write_bytes((tiny_search / f).read_bytes())
    return dest


def test_two_workers_share_local_storage(tiny_search, tmp_path):
    # eight trainings: a worker that starts a few seconds after the other still finds work
    # (with the tiny search's four, one worker sometimes finished them all first)
    folder = _copy_search(tiny_search, tmp_path / "search", **{"trials: 4": "trials: 8"})
    h0, h1 = _two_workers(folder, tmp_path, f"sqlite:///{tmp_path / 'shared.db'}")
    assert _trained(h0) == _trained(h1)  # both read the same ledger
    with sqlite3.connect(tmp_path / "shared.db") as con:
        complete = con.execute("select count(*) from trials where state = 'COMPLETE'").fetchone()[0]
    assert complete == 8  # the trial budget, spent once across workers
    assert len({w for *_, w in _trained(h0)}) == 2  # both workers did work


@pytest.mark.skipif(not os.environ.get("SNAS_TEST_POSTGRES_URL"), reason="SNAS_TEST_POSTGRES_URL not set")
def test_two_workers_share_postgresql(tiny_search, tmp_path):
    import uuid

    url = os.environ["SNAS_TEST_POSTGRES_URL"]
    edits = {"name: tiny": f"name: tiny-{uuid.uuid4().hex[:8]}", "trials: 4": "trials: 8"}  # as above
    folder = _copy_search(tiny_search, tmp_path / "search", **edits)
    h0, h1 = _two_workers(folder, tmp_path, url)
    assert _trained(h0) == _trained(h1) and len({w for *_, w in _trained(h0)}) == 2


_HANGING_WORKER = """
import sys, time
from snas.search._config import config_from_mapping
from snas.search._ledger import Ledger

def objective(trial):
    trial.set_user_attr("job", "j1")
    time.sleep(1)  # optuna's heartbeat thread has recorded its first beat
    print("training", flush=True)
    time.sleep(600)

Ledger(config_from_mapping({}), sys.argv[1]).study.optimize(objective, n_trials=1)
"""


def test_a_worker_killed_mid_training_stops_counting_as_busy(tmp_path, monkeypatch):
    """Otherwise the other workers skip its job and wait for it until their deadline (an hour
    under a trial budget)."""
    import snas.search._ledger as ledger_module

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    child = subprocess.Popen([sys.executable, "-c", _HANGING_WORKER, url], env=ENV, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "training"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    monkeypatch.setattr(ledger_module, "GRACE_SECONDS", 1)
    ledger = ledger_module.Ledger(config_from_mapping({}), url)
    time.sleep(1.5)  # its last heartbeat is now older than the grace period
    assert ledger.busy() == set()
    assert _states(tmp_path / "shared.db") == ["FAIL"]  # failed, and no trial queued again (snas retries jobs)


def test_a_restarted_worker_fails_only_its_own_interrupted_trainings(tmp_path):
    """On a shared ledger a worker back within the grace period would otherwise see its own
    interrupted job as busy and never train it; another worker's running job stays busy."""
    from snas.search._ledger import Ledger

    ledger = Ledger(config_from_mapping({}), f"sqlite:///{tmp_path / 'shared.db'}")
    for worker, job in (("a", "j1"), ("b", "j2")):
        trial = ledger.study.ask()
        trial.set_user_attr("job", job)
        trial.set_user_attr("worker", worker)
    assert ledger.busy() == {"j1", "j2"}
    assert ledger.recover("a") == 1 and ledger.busy() == {"j2"}


def test_a_training_whose_trial_was_failed_as_stale_still_counts(tiny_search, tmp_path, monkeypatch):
    """A live worker whose heartbeat stalled past the grace period (a locked database, a
    suspended machine) finds its trial failed by another worker when the training ends: the
    result is recorded as a trial of its own, instead of the search stopping on optuna's
    "Cannot tell a FAIL trial"."""
    from optuna.trial import TrialState

    from snas.search._standalone import StandaloneTrainer

    real = StandaloneTrainer._execute

    def failed_meanwhile(self, job, deadline, trial):
        evals = real(self, job, deadline, trial)
        self.ledger.study.tell(trial, state=TrialState.FAIL)  # what the other worker's fail_stale_trials does
        return evals

    monkeypatch.setattr(StandaloneTrainer, "_execute", failed_meanwhile)
    out = tmp_path / "run"
    search(load_config(tiny_search / "search.yaml"), out, data_dir=str(tiny_search), progress=False)
    states = _states(out / "search.db")
    assert states.count("FAIL") == states.count("COMPLETE") == 4  # the trial budget, each training once
    history = json.loads((out / "history.json").read_text())
    assert sum(h["fidelity"] != "inherited" for h in history) == 6


def test_a_run_keeps_its_ledger_name_when_moved_and_a_new_run_gets_a_new_one(tmp_path):
    """The name under which a run's time is counted survives a move (or another host) and is
    never inherited by a new run in an emptied folder."""
    import shutil

    from snas.search import RunDirectory

    run = RunDirectory(tmp_path / "a")
    run.prepare()
    name = run.worker_name()
    (tmp_path / "a").rename(tmp_path / "b")
    assert RunDirectory(tmp_path / "b").worker_name() == name
    shutil.rmtree(tmp_path / "b")
    again = RunDirectory(tmp_path / "b")
    again.prepare()
    assert again.worker_name() != name


def test_out_must_be_a_run_or_a_new_folder(tiny_search, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "history.json").write_text("my own notes")
    cfg = str(tiny_search / "search.yaml")
    assert main(["search", cfg, "--out", str(mine), "--data-dir", str(tiny_search), "--quiet", "--no-report"]) == 2
    assert "not empty and is not an snas run" in capsys.readouterr().err
    assert (mine / "history.json").read_text() == "my own notes" and len(list(mine.iterdir())) == 1
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["search", cfg, "--out", str(afile), "--quiet"]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err


def test_rules_for_another_dataset_and_bad_storage_are_refused(tiny_search, tmp_path, capsys):
    cfg = str(tiny_search / "search.yaml")
    base = ["search", cfg, "--data-dir", str(tiny_search), "--quiet", "--no-report"]
    assert main([*base, "--out", str(tmp_path / "a"), "--storage", "mongodb://x"]) == 2
    assert "unknown scheme 'mongodb'" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "b"), "--storage", f"sqlite:///{tmp_path}/no/such/dir/x.db"]) == 2
    assert "does not exist" in capsys.readouterr().err
    other = (
        (tiny_search / "search.yaml")
        .read_text()
        .replace("rules: rules.yaml", f"rules: {ROOT / 'rules' / 'census_income.yaml'}")
    )
    (tmp_path / "s.yaml").write_text(
        other.replace("dataset: manifest.yaml", f"dataset: {tiny_search / 'manifest.yaml'}")
    )
    assert main(["search", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "c"), "--data-dir", str(tiny_search)]) == 2
    assert "written for dataset 'census_income'" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()  # a refused search leaves no folder behind
    (tmp_path / "empty").mkdir()
    assert (
        main(["search", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "empty"), "--data-dir", str(tiny_search)])
        == 2
    )
    assert list((tmp_path / "empty").iterdir()) == []  # nor a marker in an empty folder given


def test_a_resume_on_other_data_or_another_storage_is_refused(tiny_search, tmp_path, capsys):
    """Resuming would mix trainings scored on two data sets, or restart the budget in a new ledger."""
    import hashlib

    out = tmp_path / "run"
    folder = _copy_search(tiny_search, tmp_path / "in")
    base = ["search", str(folder / "search.yaml"), "--out", str(out), "--data-dir", str(folder), "--quiet"]
    from snas.datasets import load
    from snas.search import RunDirectory
    from snas.search._search import resume_inputs

    RunDirectory(out).prepare(resume_inputs(load(str(folder / "manifest.yaml"), data_dir=str(folder)), None))
    csv = folder / "adult_small.csv"
    old_sha = hashlib.sha256(csv.read_bytes()).hexdigest()
    csv.write_text("\n".join(csv.read_text().splitlines()[:2001]) + "\n")  # 2,000 rows of the 2,500
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace(old_sha, hashlib.sha256(csv.read_bytes()).hexdigest()))
    assert main([*base, "--no-report"]) == 2
    assert "this run was started on other data" in capsys.readouterr().err
    assert main([*base, "--no-report", "--storage", f"sqlite:///{tmp_path}/shared.db"]) == 2
    err = capsys.readouterr().err
    assert "this run was started on other data" in err  # data first; then the ledger:
    (folder / "adult_small.csv").write_bytes((tiny_search / "adult_small.csv").read_bytes())
    manifest.write_text((tiny_search / "manifest.yaml").read_text())
    assert main([*base, "--no-report", "--storage", f"sqlite:///{tmp_path}/shared.db"]) == 2
    assert "this run was started with --storage none (the run's own search.db)" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [".snas-run"]  # refused before any work


def test_worker_count_does_not_change_the_model(tiny_search, tmp_path):
    """Same seed → the same trainings and the same final model, whether one process trains
    or two (each worker process runs with snas's fixed torch thread count)."""
    import numpy as np

    from snas.datasets import load
    from snas.model import FittedModel

    cfg = load_config(tiny_search / "search.yaml")
    one = search(cfg, tmp_path / "one", data_dir=str(tiny_search), workers=1, progress=False)
    two = search(cfg, tmp_path / "two", data_dir=str(tiny_search), workers=2, progress=False)
    key = lambda r: sorted((e.job, e.notes["recipe"], e.metrics["error"]) for e in r.evaluations if e.job)  # noqa: E731
    assert key(one.result) == key(two.result)
    X = load(tiny_search / "manifest.yaml", data_dir=tiny_search).X_test
    a, b = FittedModel.load(one.model_dir), FittedModel.load(two.model_dir)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_running_a_finished_search_again_keeps_its_refit_model(tiny_search, tmp_path, monkeypatch):
    """A finished run whose budget is spent keeps its refit model (not the stand-alone one),
    and jobs trained in the caller's process leave its torch threads and globals as they were."""
    import torch

    from snas.model import FittedModel
    from snas.search import _jobs

    cfg, out = load_config(tiny_search / "search.yaml"), tmp_path / "run"
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        search(cfg, out, data_dir=str(tiny_search), progress=False)  # workers: 1, so jobs run in this process
        assert torch.get_num_threads() == 2 and not _jobs._WORKER
    finally:
        torch.set_num_threads(before)
    first = json.loads((out / "search.json").read_text())
    weights = (out / "model" / "model.safetensors").read_bytes()
    assert first["refit"] is True
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".search.lock"}
    spent = _elapsed(out / "search.db")
    again = search(cfg, out, data_dir=str(tiny_search), progress=False)  # the same command: nothing to do
    assert again.finished_before and again.result.selected.number == first["selected"]["number"]
    assert again.result.model is not None and again.result.elapsed_seconds == first["elapsed_seconds"]
    assert {p: p.read_bytes() for p in files} == files and _elapsed(out / "search.db") == spent

    def no_refit(*args, **kwargs):
        raise AssertionError("the finished run's refit model was trained again")

    monkeypatch.setattr(FittedModel, "train", no_refit)
    search(cfg, out, data_dir=str(tiny_search), budget="1s", progress=False)  # the time is spent already
    assert json.loads((out / "search.json").read_text())["refit"] is True
    assert (out / "model" / "model.safetensors").read_bytes() == weights


def test_a_refit_cut_by_the_deadline_never_replaces_the_fully_trained_model(tiny_search, tmp_path, monkeypatch):
    """The refit (the one training on a whole frame) is made to stop at its deadline: the
    final model is then the selected stand-alone model, and the run says it was not refit."""
    import dataclasses

    from snas.model import FittedModel

    real = FittedModel.train.__func__

    def cut_when_refitting(cls, task, spec, frame, y, **kwargs):
        model = real(cls, task, spec, frame, y, **kwargs)
        if frame is None:  # a candidate's training on encoded rows: left alone
            return model
        return dataclasses.replace(
            model, results=tuple(dataclasses.replace(r, deadline_hit=True) for r in model.results)
        )

    monkeypatch.setattr(FittedModel, "train", classmethod(cut_when_refitting))
    out = tmp_path / "run"
    search(load_config(tiny_search / "search.yaml"), out, data_dir=str(tiny_search), progress=False)
    summary = json.loads((out / "search.json").read_text())
    assert summary["refit"] is False
    selected = summary["selected"]
    kept = out / "candidates" / f"{selected['job']}-{selected['notes'].get('recipe', 0)}"
    assert (out / "model" / "model.safetensors").read_bytes() == (kept / "model.safetensors").read_bytes()


def test_the_same_command_on_a_finished_run_keeps_its_report_unless_the_run_changed(tiny_search, tmp_path, capsys):
    """Nothing is redone: the report built on the run as it stands is pointed at; a report
    built on another state of the run (here its manifest rewritten) is built again."""
    out = tmp_path / "run"
    argv = ["search", str(tiny_search / "search.yaml"), "--out", str(out), "--data-dir", str(tiny_search), "--quiet"]
    assert main([*argv, "--no-report"]) == 0
    capsys.readouterr()
    assert main(argv) == 0  # finished, but never audited: the report is written now
    first = capsys.readouterr().out
    assert "finished before under this configuration: nothing was redone" in first and "as written before" not in first
    report = (out / "reports" / "report.json").read_bytes()
    assert main(argv) == 0
    assert "(as written before;" in capsys.readouterr().out
    assert (out / "reports" / "report.json").read_bytes() == report
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"snas_run": 1', '"snas_run": 1 '))  # another run state
    assert main(argv) == 0
    assert "as written before" not in capsys.readouterr().out


def test_run_files_keep_a_storage_url_without_its_login():
    from dataclasses import replace

    from snas.search._search import _recorded_config, resume_inputs

    cfg = replace(config_from_mapping({}, source="test"), storage="postgresql+psycopg2://snas:s3cret@db-host/snas")
    assert _recorded_config(cfg)["storage"] == "postgresql+psycopg2://db-host/snas"

    class Data:
        @staticmethod
        def provenance(lookup: bool) -> dict:
            return {"files": [{"sha256": "a"}], "schema_sha256": "b", "rows": {"train": 1}, "split": {}}

    assert "s3cret" not in str(resume_inputs(Data(), cfg.storage))
