"""Audit: EU AI Act evidence computed into an AuditReport, then rendered (JSON, Markdown,
HTML, PDF, a CycloneDX SBOM); validate, verify and diff for auditors; the price of every rule."""

from snas.audit._bom import render_bom
from snas.audit._build import EVIDENCE_FAMILIES, build_report, load_documentation, report_for_run
from snas.audit._diff import diff_reports
from snas.audit._impact import rule_impact
from snas.audit._impact_run import format_rule_impact, rule_impact_of_run
from snas.audit._render import render_html, render_markdown
from snas.audit._report import SCHEMA_VERSION, AuditReport, read_report, report_schema
from snas.audit._verify import verify_run
from snas.audit._write import FORMATS, write_report_files, write_reports

__all__ = [
    "EVIDENCE_FAMILIES",
    "FORMATS",
    "SCHEMA_VERSION",
    "AuditReport",
    "build_report",
    "diff_reports",
    "format_rule_impact",
    "load_documentation",
    "read_report",
    "render_bom",
    "render_html",
    "render_markdown",
    "report_for_run",
    "report_schema",
    "rule_impact",
    "rule_impact_of_run",
    "verify_run",
    "write_report_files",
    "write_reports",
]
