"""Writing reports: the renderings of an :class:`AuditReport` as files, and the run-directory
entry point behind ``snas audit RUN`` and the end of ``snas search``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from snas._util import atomic_write_bytes, sha256_bytes
from snas._yaml import read_text_file
from snas.audit._bom import render_bom
from snas.audit._documentation import load_documentation
from snas.audit._provenance import BOM_FILE
from snas.audit._render import chromium, render_html, render_markdown, render_pdf
from snas.audit._report import AuditReport
from snas.exceptions import ConfigError

__all__ = ["DEFAULT_FORMATS", "FORMATS", "write_report_files", "write_reports"]

FORMATS = ("json", "md", "html", "cdx", "pdf")
#: What a report is written as unless asked otherwise (``cdx``: the CycloneDX SBOM, report.cdx.json).
DEFAULT_FORMATS = ("json", "md", "html", "cdx")
_FILE_NAMES = {"json": "report.json", "md": "report.md", "html": "report.html", "cdx": BOM_FILE, "pdf": "report.pdf"}


def write_report_files(
    report: AuditReport, directory: str | Path, formats: tuple[str, ...] = DEFAULT_FORMATS
) -> dict[str, Path]:
    """Write ``report.json`` (always) and the requested renderings into ``directory``.

    ``cdx`` is the CycloneDX 1.6 SBOM with the model card (``report.cdx.json``); ``pdf`` needs
    Chromium and writes ``report.html`` too. Returns format → path.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ConfigError(f"formats: unknown format(s) {bad}; choose from {', '.join(FORMATS)}")
    out = Path(directory)
    blobs: dict[str, bytes] = {}  # every rendering made before any file is replaced
    if "md" in formats:
        blobs["md"] = render_markdown(report).encode("utf-8")
    if "html" in formats or "pdf" in formats:
        blobs["html"] = render_html(report).encode("utf-8")
    if "cdx" in formats:
        blobs["cdx"] = render_bom(report).encode("utf-8")
    # report.json records the sha256 of its renderings (in run_info: not part of report_id),
    # so `snas audit verify` can tell an edited or stale report.md / report.html
    renderings = {_FILE_NAMES[kind]: sha256_bytes(blob) for kind, blob in blobs.items()}
    written = AuditReport(report.body, {**report.run_info, "renderings": renderings})
    blobs = {"json": written.to_json().encode("utf-8"), **blobs}
    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / _FILE_NAMES[kind] for kind in blobs}
    for kind, blob in blobs.items():
        atomic_write_bytes(paths[kind], blob)
    if "pdf" in formats:
        paths["pdf"] = out / _FILE_NAMES["pdf"]
        render_pdf(paths["html"], paths["pdf"])
    return paths


def write_reports(
    run_dir: str | Path,
    *,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    documentation: str | Path | None = None,
    data_dir: str | None = None,
    parent: str | Path | None = None,
    progress: bool = False,
    model: str = "selected",
) -> dict[str, Path]:
    """Build the report of a run (:func:`report_for_run`) and write it under ``RUN/reports``
    (the glass box's under ``RUN/reports/glass-box``).

    A documentation file given replaces the run's copy (``documentation.yaml``, which
    ``snas audit verify`` re-hashes) only once the report was built and written: an audit that
    fails leaves the run as it was.

    Parameters
    ----------
    run_dir : str or Path
        A finished run directory (``snas search --out``); ConfigError for anything else.
    formats : tuple of str, default=("json", "md", "html", "cdx")
        Renderings besides ``report.json``, from ``json``, ``md``, ``html``, ``cdx`` (the CycloneDX
        SBOM, ``report.cdx.json``) and ``pdf`` (needs Chromium).
    documentation : str or Path, optional
        The human-written fields (``audit/*.yaml``); default the run's copy, else
        ``audit/<name>.yaml`` beside the search folder or in the working directory.
    data_dir : str, optional
        Folder holding the dataset files; default where the run found them (sha256 checked).
    parent : str or Path, optional
        The previous ``report.json``; its id becomes ``parent_report_id``.
    progress : bool, default=False
        Print each stage and its time to standard error.
    model : {"selected", "glass-box"}, default="selected"
        The run's final model, or the glass box its search offers (``RUN/glass-box``).

    Returns
    -------
    dict of str to Path
        Format → written file.

    Examples
    --------
    >>> from snas import write_reports
    >>> paths = write_reports("runs/census", documentation="audit/census_income.yaml")  # doctest: +SKIP
    >>> paths["html"]  # doctest: +SKIP
    PosixPath('runs/census/reports/report.html')
    """
    from snas.audit._build import report_for_run
    from snas.search import RunDirectory

    run = RunDirectory(run_dir)
    run.require_model(model)  # before anything is written
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ConfigError(f"formats: unknown format(s) {bad}; choose from {', '.join(FORMATS)}")
    if "pdf" in formats and chromium() is None:
        raise ConfigError(
            "--format pdf needs Chromium (Debian: apt-get install chromium); nothing was written — leave out pdf "
            "(the HTML report prints to PDF as well)"
        )
    given = _documentation_bytes(documentation, run.documentation)
    with tempfile.TemporaryDirectory(prefix="snas-documentation-") as staging:
        doc = documentation
        if given is not None:  # the bytes checked, under the name the run's copy has
            doc = Path(staging) / run.documentation.name
            doc.write_bytes(given)
        report = report_for_run(
            run.path, documentation=doc, data_dir=data_dir, parent=parent, progress=progress, model=model
        )
    reports = run.reports_of(model)
    paths = write_report_files(report, reports, _without_pdf(formats))
    if given is not None:
        atomic_write_bytes(run.documentation, given)  # the report written names these bytes
    if "pdf" in formats:
        paths["pdf"] = reports / _FILE_NAMES["pdf"]
        render_pdf(paths["html"], paths["pdf"])
    return paths


def _without_pdf(formats: tuple[str, ...]) -> tuple[str, ...]:
    """``formats`` without ``pdf`` (printed last, from ``report.html``, which it then needs)."""
    if "pdf" not in formats:
        return formats
    return tuple(f for f in formats if f != "pdf") + (() if "html" in formats else ("html",))


def _documentation_bytes(documentation: str | Path | None, copy: Path) -> bytes | None:
    """The bytes of a documentation file that is to replace the run's ``copy`` (checked first:
    a file with errors never replaces it); None when there is none or it is the copy itself."""
    if documentation is None:
        return None
    _, sha = load_documentation(documentation)
    if Path(documentation).resolve() == copy.resolve():
        return None
    data = read_text_file(documentation, ConfigError).encode("utf-8")
    if sha256_bytes(data) != sha:
        raise ConfigError(
            f"{documentation}: changed while snas read it; save it and run 'snas audit RUN_DIR --documentation "
            f"{documentation}' again"
        )
    return data
