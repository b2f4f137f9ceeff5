"""Documentation fields people write: blank text is not an answer."""

from __future__ import annotations

import pytest

from snas.audit._section_fields import human_field


@pytest.mark.parametrize("blank", [None, "", " ", "\n\t "])
def test_blank_text_is_missing(blank):
    assert human_field({"intended_purpose": blank}, "intended_purpose") == {"status": "missing", "value": None}


def test_written_text_and_a_reasoned_not_applicable_count():
    assert human_field({"intended_purpose": "Screening."}, "intended_purpose")["status"] == "human"
    doc = {"product_illustrations": {"status": "not_applicable", "reason": "software only"}}
    assert human_field(doc, "product_illustrations") == {"status": "not_applicable", "value": "software only"}
    doc = {"product_illustrations": {"status": "not_applicable", "reason": "  "}}
    assert human_field(doc, "product_illustrations")["status"] == "missing"


def test_an_approval_needs_a_name_and_a_date_written_out():
    signed = [{"role": "lead", "name": "A. Person", "date": "2026-11-30"}]
    assert human_field({"approvals": signed}, "approvals")["status"] == "human"
    for name, date in ((" ", "2026-11-30"), ("A. Person", " "), (None, "2026-11-30")):
        approvals = [{"role": "lead", "name": name, "date": date}]
        assert human_field({"approvals": approvals}, "approvals")["status"] == "missing", (name, date)
