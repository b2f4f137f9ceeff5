"""Audit: EU AI Act evidence computed into an AuditReport, then rendered (JSON, Markdown,
HTML, PDF); validate, verify and diff for auditors."""

from snas.audit._build import build_report, load_documentation
from snas.audit._diff import diff_reports
from snas.audit._render import render_html, render_markdown, write_reports
from snas.audit._report import SCHEMA_VERSION, AuditReport, report_schema
from snas.audit._verify import verify_run

__all__ = [
    "SCHEMA_VERSION",
    "AuditReport",
    "build_report",
    "diff_reports",
    "load_documentation",
    "render_html",
    "render_markdown",
    "report_schema",
    "verify_run",
    "write_reports",
]
