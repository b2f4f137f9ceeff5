"""Writing reports: the renderings of an :class:`AuditReport` as files, and the run-directory
entry point behind ``snas audit RUN`` and the end of ``snas search``."""

from __future__ import annotations

from pathlib import Path

from snas._util import atomic_write_bytes, sha256_bytes
from snas.audit._bom import render_bom
from snas.audit._documentation import load_documentation
from snas.audit._provenance import BOM_FILE
from snas.audit._render import render_html, render_markdown, render_pdf
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

    A documentation file is first copied into the run (``documentation.yaml``), so
    ``snas audit verify`` can re-hash it later.

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
    reports = run.reports_of(model)
    if documentation is not None:
        load_documentation(documentation)  # a file with errors never replaces the run's copy
        if Path(documentation).resolve() != run.documentation.resolve():
            atomic_write_bytes(run.documentation, Path(documentation).read_bytes())
        documentation = run.documentation
    report = report_for_run(
        run.path, documentation=documentation, data_dir=data_dir, parent=parent, progress=progress, model=model
    )
    return write_report_files(report, reports, formats)
