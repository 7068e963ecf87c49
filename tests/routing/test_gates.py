"""Stage gates: a lead may not enter a later stage without the fields that stage needs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from leadsync.mapping.model import Bant, Lead, Stage
from leadsync.sync.routing.config import Gates
from leadsync.sync.routing.gates import check_gate

BANT = ["qualification.budget", "qualification.authority", "qualification.need",
        "qualification.timeline"]  # fmt: skip
GATES = Gates.model_validate(
    {"required": {"mql": ["email", "company"], "sql": BANT, "opportunity": ["phone"]}}
)
FULL = Bant(budget=Decimal(5000), authority="VP Sales", need="routing", timeline="Q3")


@pytest.mark.parametrize(
    ("lead", "stage", "missing"),
    [
        (Lead(email="a@x.example"), Stage.NEW, []),
        (Lead(email="a@x.example"), Stage.DISQUALIFIED, []),
        (Lead(email="a@x.example"), Stage.MQL, ["company"]),
        (Lead(email="a@x.example", company="Acme"), Stage.SQL, BANT),
        (Lead(email="a@x.example", company="Acme", qualification=Bant(need="")), Stage.SQL, BANT),
        (Lead(email="a@x.example", company="Acme", qualification=FULL), Stage.SQL, []),
        (Lead(company="Acme", qualification=FULL), Stage.OPPORTUNITY, ["email", "phone"]),
    ],  # fmt: skip
    ids=[
        "new-ungated",
        "disqualified-ungated",
        "mql",
        "sql-without-bant",
        "blank-is-missing",
        "sql-ok",
        "opportunity-inherits",
    ],  # fmt: skip
)
def test_gate(lead: Lead, stage: Stage, missing: list[str]) -> None:
    result = check_gate(lead, stage, GATES)
    assert result.allowed is (not missing)
    assert result.missing_fields == missing
