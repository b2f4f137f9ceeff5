"""A screenshot of the glass-box part of an audit report, to cite: a small additive model on
Census Income (first 2,500 rows of adult.data, 3 epochs, three pairs), its report built with
build_report on adult.test, and the HTML page's "Term shapes" section shot in headless
Chromium (the rest of the page hidden with one CSS line in a copy; the report is unchanged).

    python bench/audit_glassbox_screenshot.py [--rows 2500] [--epochs 3]
→ bench/results/audit-glassbox-screenshot.png (the report itself goes to a temporary folder)
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from _common import ROOT, data_dir

PAIRS = [["age", "marital_status"], ["capital_gain", "education_num"], ["hours_per_week", "occupation"]]
ONLY_SHAPES = "<style>body>*:not(#term-shapes){display:none}</style></head>"


def train(rows: int, epochs: int):
    from snas.datasets import load
    from snas.model import FittedModel, Task
    from snas.nn import NetworkSpec
    from snas.rules import load_rules

    data = load(ROOT / "datasets" / "census_income.yaml", data_dir=data_dir())
    X, y = data.X_train.head(rows), data.y_train.head(rows).astype(str).to_numpy()
    task = Task.fit(X, y, load_rules(ROOT / "rules" / "census_income.yaml"), target="income")
    spec = NetworkSpec.from_dict(
        {"family": "additive", "pairs": PAIRS, "default_rule_mode": "both", "max_epochs": epochs, "members": 2}
    )
    return FittedModel.train(task, spec, X, y, seed=0), data


def screenshot(page: Path, png: Path) -> None:
    from snas.audit._render import CHROMIUM_FLAGS, chromium

    exe = chromium()
    if exe is None:
        raise SystemExit("needs Chromium (Debian package chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "shapes.html"
        copy.write_text(page.read_text().replace("</head>", ONLY_SHAPES, 1))
        window = ["--window-size=1280,1900", "--hide-scrollbars"]
        subprocess.run(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", *window, f"--screenshot={png}", copy.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2500)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    from snas import build_report
    from snas.audit import write_report_files

    model, data = train(args.rows, args.epochs)
    report = build_report(model, data, ROOT / "audit" / "census_income.yaml", resamples=200, progress=True)
    png = ROOT / "bench" / "results" / "audit-glassbox-screenshot.png"
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_report_files(report, Path(tmp), formats=("html",))
        screenshot(paths["html"], png)
    print(f"wrote {png} (report {report.report_id})")


if __name__ == "__main__":
    main()
