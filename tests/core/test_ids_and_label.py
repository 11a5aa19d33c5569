import json

import pytest

from hegui.core.errors import LabelError
from hegui.core.ids import is_valid_uscc, provider_code_problem, uscc_check_char
from hegui.core.label import ContentLabel, ProviderCodeMode

VALID_USCC = "91110102MAD55U9H0F"
VALID_CODE = "001191110102MAD55U9H0F10002"


def test_uscc_checksum() -> None:
    assert is_valid_uscc(VALID_USCC)
    # Every wrong check character is rejected.
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if c != VALID_USCC[-1]:
            assert not is_valid_uscc(VALID_USCC[:-1] + c)
    assert uscc_check_char(VALID_USCC[:17]) == VALID_USCC[17]
    assert not is_valid_uscc("91110102MAD55U9H0")  # too short
    assert not is_valid_uscc("91110102MAD55U9HOF")  # O is not in the alphabet


def test_provider_code_shape() -> None:
    assert provider_code_problem(VALID_CODE) is None
    assert provider_code_problem("001191110102MAD55U9H0F00000") is None
    assert "27 characters" in (provider_code_problem("00119111") or "")
    assert "extension" in (provider_code_problem(VALID_CODE[:-5] + "30002") or "")
    bad_checksum = VALID_CODE[:21] + "1" + VALID_CODE[22:]
    assert "checksum" in (provider_code_problem(bad_checksum) or "")


def test_label_json_has_exactly_the_annex_e_keys_in_order() -> None:
    label = ContentLabel(ContentProducer=VALID_CODE, ProduceID="abc123")
    doc = json.loads(label.to_json())
    assert list(doc) == ["AIGC"]
    assert list(doc["AIGC"]) == ["Label", "ContentProducer", "ProduceID", "ReservedCode1",
                                 "ContentPropagator", "PropagateID", "ReservedCode2"]
    assert ContentLabel.from_json(label.to_json()) == label
    assert ContentLabel.from_json(label.inner_json()) == label


def test_label_validation() -> None:
    ok = ContentLabel(ContentProducer=VALID_CODE, ProduceID="id-1")
    assert ok.problems(code_mode=ProviderCodeMode.STRICT) == []
    assert ContentLabel(Label="4", ContentProducer="x", ProduceID="y").problems()[0].startswith("Label")
    problems = ContentLabel(ContentProducer="有 空格", ProduceID="y").problems()
    assert any("outside the allowed set" in p for p in problems)
    assert any("ProduceID is required" in p for p in ContentLabel(ContentProducer="x").problems())
    assert ContentLabel(ContentProducer="MyCo", ProduceID="1").problems(code_mode=ProviderCodeMode.STRICT)
    with pytest.raises(LabelError, match="invalid AIGC label"):
        ContentLabel(ContentProducer='a"b', ProduceID="1").validate()


@pytest.mark.parametrize("text", ["not json", "[]", '{"AIGC": {"Label": 1}}', '{"AIGC": {"Foo": "1"}}',
                                  '{"AIGC": {"ContentProducer": "x"}}'])
def test_malformed_label_json_is_a_label_error(text: str) -> None:
    with pytest.raises(LabelError):
        ContentLabel.from_json(text)


def test_propagation_keeps_producer_fields() -> None:
    label = ContentLabel(ContentProducer="P", ProduceID="1", ReservedCode1="sig")
    out = label.with_propagator("PLAT", "p-9")
    assert (out.ContentProducer, out.ProduceID, out.ReservedCode1) == ("P", "1", "sig")
    assert (out.ContentPropagator, out.PropagateID, out.Label) == ("PLAT", "p-9", "1")
