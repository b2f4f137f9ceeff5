"""The README's first command, as a newcomer runs it: a fresh clone of this repository with
``../shared`` beside it, the first ``bash`` block of README.md run verbatim, timed.

    python bench/readme_first_command.py [--keep /tmp/snas-fresh]
→ bench/results/readme-first-command.log (everything the command printed) and
  readme-first-command.json (wall time, commit, and the selected model's test metrics as the
  audit report states them).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _common import RESULTS, ROOT, machine, write_results


def first_command(readme: str) -> str:
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    return blocks[0].strip()


def evidence(report: dict, evidence_id: str) -> dict:
    return next(e for e in report["evidence"] if e["id"] == evidence_id)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keep", default=None, help="clone here and keep it (default: a temporary folder, removed)")
    args = p.parse_args()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="snas-fresh-"))
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    clone = base / "main"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    (base / "shared").symlink_to(ROOT.parent / "shared")
    command = first_command((clone / "README.md").read_text())
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["bash", "-c", command], cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    wall = time.perf_counter() - t0
    output = proc.stdout.replace("\r", "\n")
    output = "\n".join(line for line in output.splitlines() if line.strip())
    header = (
        f"# README first command on a fresh clone of {commit.stdout.strip()[:12]}"
        f"{' (work tree had uncommitted changes)' if dirty else ''}\n"
        f"# {machine()['date']}, {machine()['cpu_count']} CPU cores; wall {wall:.0f} s; exit code {proc.returncode}\n"
        f"$ {command}\n"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "readme-first-command.log").write_text(header + output + "\n")
    payload: dict = {
        "commit": commit.stdout.strip(),
        "command": command,
        "exit_code": proc.returncode,
        "wall_seconds": wall,
    }
    report_path = clone / "runs" / "census" / "reports" / "report.json"
    if proc.returncode == 0 and report_path.is_file():
        report = json.loads(report_path.read_text())
        rules = evidence(report, "ev:rules:summary")
        payload["selected_model"] = {
            "test_accuracy": evidence(report, "ev:metric:accuracy")["value"],
            "test_accuracy_ci95": evidence(report, "ev:metric:accuracy")["ci95"],
            "test_roc_auc": evidence(report, "ev:metric:roc_auc")["value"],
            "hard_violations": rules["hard_violations"],
            "f_soft": rules["f_soft"],
            "parameters": report["sections"]["AIA.AnnexIV.2.c"]["fields"]["architecture"]["value"]["parameters"],
        }
    table = "\n".join(f"- {k}: {v}" for k, v in payload.items() if k != "command")
    print(header + table)
    print("wrote", write_results("readme-first-command", payload, table))
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
