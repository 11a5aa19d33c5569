"""The TC260 XMP carrier: building, merging into foreign packets, reading, refusing unsafe XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.core.errors import InputError
from hegui.core.label import ContentLabel
from hegui.labeling.xmp import (
    TC260_NS,
    XmpParseError,
    build_xmp_packet,
    merge_into_xmp,
    read_xmp_carriers,
    read_xmp_label,
)

LABEL = ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="img-<1>&2")

FOREIGN = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 5.5.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Studio &amp; Co">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Sunset \xe6\x97\xa5\xe8\x90\xbd</rdf:li></rdf:Alt>
   </dc:title>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def _property_texts(packet: bytes) -> list[str]:
    """TC260:AIGC values as an independent XML parser (ElementTree) sees them."""
    root = ET.fromstring(packet)
    return [e.text or "" for e in root.iter(f"{{{TC260_NS}}}AIGC")]


def test_built_packet_is_wellformed_xmp_with_inner_json() -> None:
    packet = build_xmp_packet(LABEL)
    assert packet.startswith(b"<?xpacket begin=") and packet.rstrip().endswith(b'<?xpacket end="w"?>')
    assert _property_texts(packet) == [LABEL.inner_json()]
    assert b'xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"' in packet
    carrier = read_xmp_label(packet)
    assert carrier is not None and carrier.label == LABEL and carrier.error is None


def test_padding_adds_exactly_that_many_bytes() -> None:
    plain = build_xmp_packet(LABEL)
    for pad in (1, 99, 100, 101, 2048):
        padded = build_xmp_packet(LABEL, padding=pad)
        assert len(padded) == len(plain) + pad
        assert read_xmp_label(padded) is not None


def test_merge_keeps_foreign_properties_and_prefixes() -> None:
    merged = merge_into_xmp(FOREIGN, LABEL)
    root = ET.fromstring(merged)
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    li = root.find(".//dc:title/rdf:Alt/rdf:li", ns)
    assert li is not None and li.text == "Sunset 日落"
    assert li.get("{http://www.w3.org/XML/1998/namespace}lang") == "x-default"
    descriptions = root.iter(f"{{{ns['rdf']}}}Description")
    creator = [d.get("{http://ns.adobe.com/xap/1.0/}CreatorTool") for d in descriptions]
    assert "Studio & Co" in creator
    assert b"xmlns:dc=" in merged and b"xmlns:xmp=" in merged and b"<dc:title>" in merged
    assert _property_texts(merged) == [LABEL.inner_json()]


def test_merge_replaces_never_appends_and_is_stable() -> None:
    first = merge_into_xmp(FOREIGN, LABEL)
    newer = LABEL.with_propagator("PLATFORM", "p-9", label="1")
    second = merge_into_xmp(first, newer)
    assert _property_texts(second) == [newer.inner_json()]
    assert merge_into_xmp(second, newer) == second  # relabeling does not grow the packet
    assert [c.label for c in read_xmp_carriers(second)] == [newer]


def test_merge_replaces_attribute_form_written_by_other_tools() -> None:
    attr_form = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
                 b'syntax-ns#"><rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"'
                 b' TC260:AIGC=\'{"Label":"2"}\' xmlns:dc="http://purl.org/dc/elements/1.1/"'
                 b' dc:format="a/b"/>'
                 b"</rdf:RDF></x:xmpmeta>")
    before = read_xmp_carriers(attr_form)
    assert [c.label.Label for c in before if c.label] == ["2"]
    merged = merge_into_xmp(attr_form, LABEL)
    assert [c.label for c in read_xmp_carriers(merged)] == [LABEL]
    assert b'dc:format="a/b"' in merged


def test_two_properties_in_one_packet_are_both_reported() -> None:
    other = ContentLabel(Label="3")
    packet = merge_into_xmp(FOREIGN, LABEL).replace(
        b"</rdf:RDF>",
        b'<rdf:Description rdf:about="" xmlns:T="http://www.tc260.org.cn/ns/AIGC/1.0/"><T:AIGC>'
        + other.inner_json().encode() + b"</T:AIGC></rdf:Description></rdf:RDF>")
    assert [c.label for c in read_xmp_carriers(packet)] == [LABEL, other]


def test_unparseable_label_value_is_a_carrier_with_an_error() -> None:
    packet = build_xmp_packet(LABEL).replace(LABEL.inner_json().replace("<", "&lt;").replace(
        ">", "&gt;").replace("&2", "&amp;2").encode(), b"not json")
    [carrier] = read_xmp_carriers(packet)
    assert carrier.label is None and carrier.raw == "not json" and carrier.error


@pytest.mark.parametrize("evil", [
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b"&b;AIGC</x:xmpmeta>",
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><x>AIGC</x>',
])
def test_doctype_and_entities_are_refused(evil: bytes) -> None:
    with pytest.raises(XmpParseError, match="DOCTYPE or entity"):
        merge_into_xmp(evil, LABEL)
    [carrier] = read_xmp_carriers(evil)
    assert carrier.label is None and "DOCTYPE" in (carrier.error or "")


def test_malformed_existing_packet_is_refused_not_overwritten() -> None:
    with pytest.raises(InputError, match="malformed XMP"):
        merge_into_xmp(FOREIGN[:-40], LABEL)
    assert read_xmp_carriers(b"<x:xmpmeta broken") == []  # not ours, nothing to report


def test_oversized_packet_is_refused_before_parsing() -> None:
    with pytest.raises(XmpParseError, match="exceeds"):
        merge_into_xmp(b"<a>" + b" " * (9 * 1024 * 1024) + b"</a>", LABEL)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_reader_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    """1,000 random inputs: reading returns carriers (maybe with errors), never raises."""
    for carrier in read_xmp_carriers(data):
        assert carrier.label is not None or carrier.error


@settings(max_examples=500, deadline=None)
@given(st.builds(ContentLabel, Label=st.sampled_from("123"),
                 ContentProducer=st.from_regex(r"[\x21\x23-\x5b\x5d-\x7e]{0,30}", fullmatch=True),
                 ProduceID=st.from_regex(r"[\x21\x23-\x5b\x5d-\x7e]{0,40}", fullmatch=True)))
def test_any_valid_label_round_trips(label: ContentLabel) -> None:
    """500 generated labels (every allowed character, incl. < > & ' ) survive build and merge."""
    assert read_xmp_carriers(build_xmp_packet(label))[0].label == label
    assert [c.label for c in read_xmp_carriers(merge_into_xmp(FOREIGN, label))] == [label]


def test_fast_inner_json_matches_the_label_model() -> None:
    from hegui.labeling.xmp import inner_json

    assert inner_json(LABEL) == LABEL.inner_json()
    assert '{"AIGC":' + inner_json(LABEL) + "}" == LABEL.to_json()
