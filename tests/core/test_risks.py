import pytest

from hegui.core.errors import UnknownRiskError
from hegui.core.risks import CATEGORIES, KEYWORD_RISK_IDS, RISK_IDS, RISKS, get_risk, risks_in


def test_taxonomy_has_31_risks_in_5_categories() -> None:
    assert len(RISKS) == 31
    assert len(CATEGORIES) == 5
    counts = {c.id: len(risks_in(c.id)) for c in CATEGORIES}
    assert counts == {"A1": 8, "A2": 9, "A3": 5, "A4": 7, "A5": 2}


def test_ids_are_unique_and_named_in_both_languages() -> None:
    assert len(set(RISK_IDS)) == 31
    for risk in RISKS:
        assert risk.zh and risk.en
        assert get_risk(risk.id) is risk
        assert get_risk(risk.category).is_category


def test_keyword_library_covers_the_17_a1_a2_risks() -> None:
    assert len(KEYWORD_RISK_IDS) == 17
    assert all(r.startswith(("A1.", "A2.")) for r in KEYWORD_RISK_IDS)


@pytest.mark.parametrize("bad", ["A6", "A1.9", "a1.1", "", "A2.10"])
def test_unknown_risk_id_is_a_clear_error(bad: str) -> None:
    with pytest.raises(UnknownRiskError, match="unknown risk id"):
        get_risk(bad)
