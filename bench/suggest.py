"""`snas rules suggest` on Census Income, as a rule author runs it: the command timed end to
end (a fresh process, the CLI's own imports included), its proposals appended to the expert's
rule file and checked by `snas check`.

    python bench/suggest.py [--repeats 3]
→ bench/results/suggest.json, suggest.md
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import ROOT, data_dir, write_results

RULES = ROOT / "rules" / "census_income.yaml"


def snas(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "snas", *args], cwd=ROOT, capture_output=True, text=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        proposal, combined = Path(tmp) / "proposal.yaml", Path(tmp) / "combined.yaml"
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            done = snas(
                "rules", "suggest", "census_income", "--rules", str(RULES), "--out", str(proposal),
                "--target-agreement", "0.95", "--max", "10", "--data-dir", data_dir(),
            )  # fmt: skip
            seconds = time.perf_counter() - t0
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            rules = yaml.safe_load(proposal.read_text())["rules"]
            expert = yaml.safe_load(RULES.read_text())
            expert["rules"] += rules
            combined.write_text(yaml.safe_dump(expert, sort_keys=False, allow_unicode=True))
            check = snas("check", str(combined), "--data-dir", data_dir())
            runs.append(
                {
                    "seconds": seconds,
                    "proposals": len(rules),
                    "ids": [r["id"] for r in rules],
                    "check_exit_code": check.returncode,
                }
            )
            print(runs[-1], flush=True)
    median = statistics.median(r["seconds"] for r in runs)
    table = (
        f"`snas rules suggest census_income --target-agreement 0.95 --max 10` (fresh process, adult.data): "
        f"median {median:.1f} s over {len(runs)} runs (each: "
        + ", ".join(f"{r['seconds']:.1f} s" for r in runs)
        + f"); {runs[0]['proposals']} proposals; `snas check` on the rule file with them appended exits "
        + ", ".join(str(r["check_exit_code"]) for r in runs)
        + ".\n"
    )
    print(table)
    print("wrote", write_results("suggest", {"median_seconds": median, "runs": runs}, table))


if __name__ == "__main__":
    main()
