"""The XMP carrier of the implicit label (REGULATIONS.md §5.3): namespace
``http://www.tc260.org.cn/ns/AIGC/1.0/``, prefix ``TC260``, property ``TC260:AIGC`` whose value is the
inner JSON object of the label.

Every XMP-capable format (PNG, JPEG, WebP, GIF, TIFF, PDF, MP4 …) uses these three functions:
``build_xmp_packet`` for a file without XMP, ``merge_into_xmp`` to put our property into a file's existing
packet while keeping every other property, and ``read_xmp_carriers`` / ``read_xmp_label`` to read it.

Parsing is defensive: XMP comes from untrusted files, so packets are size-capped and any DOCTYPE or
entity declaration is refused (no entity expansion bombs, no external entities) — the same rule as
defusedxml, which is not a dependency.
"""

from __future__ import annotations

import functools
import json
import xml.parsers.expat
from dataclasses import dataclass, field

from hegui.core.errors import InputError, LabelError
from hegui.core.label import KEYS, ContentLabel
from hegui.labeling.base import Carrier

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
TC260_PREFIX = "TC260"
PROPERTY = "AIGC"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X_NS = "adobe:ns:meta/"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Largest packet we parse. Real packets are a few KB (a JPEG APP1 holds at most 64 KB).
MAX_XMP_BYTES = 8 * 1024 * 1024
# Deepest element nesting we accept (real XMP is ~6 deep); stops pathological inputs early.
_MAX_DEPTH = 64

# An ExifTool config that defines the TC260 namespace, so ``exiftool -config FILE -XMP-TC260:AIGC=…``
# can write the property and reads show it as ``AIGC`` (without it exiftool reads it as ``Aigc``).
EXIFTOOL_CONFIG = """%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {
        TC260 => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::TC260' } },
    },
);
%Image::ExifTool::UserDefined::TC260 = (
    GROUPS => { 0 => 'XMP', 1 => 'XMP-TC260', 2 => 'Image' },
    NAMESPACE => { 'TC260' => 'http://www.tc260.org.cn/ns/AIGC/1.0/' },
    WRITABLE => 'string',
    AIGC => { },
);
1;
"""

_PACKET_BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
_PACKET_END = '<?xpacket end="w"?>'
_SEP = " "  # expat namespace separator: cannot occur in an XML name, so split at the last one


def escape(text: str) -> str:
    """``xml.sax.saxutils.escape``: that module imports urllib.request, which costs more start-up time
    than labeling a file."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(value: str) -> str:
    """``xml.sax.saxutils.quoteattr``: escaped (line breaks and tabs too, so they survive attribute
    normalisation) and quoted with the quote character it does not contain."""
    data = escape(value).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in data:
        return f'"{data}"'
    if "'" not in data:
        return f"'{data}'"
    return '"' + data.replace('"', "&quot;") + '"'


@dataclass
class _Element:
    """A minimal DOM node: enough to re-serialise a packet with its original prefixes."""

    ns: str
    local: str
    attrs: list[tuple[str, str, str]] = field(default_factory=list)  # (ns, local, value)
    children: list[_Element | str] = field(default_factory=list)     # elements and text runs

    def elements(self) -> list[_Element]:
        return [c for c in self.children if isinstance(c, _Element)]

    def text(self) -> str:
        return "".join(c for c in self.children if isinstance(c, str))


@dataclass
class _Document:
    root: _Element
    prefixes: dict[str, str]  # namespace URI -> prefix, as first declared in the packet


class XmpParseError(InputError):
    """The bytes are not a well-formed, safe XMP packet."""


def _split(name: str) -> tuple[str, str]:
    ns, sep, local = name.rpartition(_SEP)
    return (ns, local) if sep else ("", name)


def _parse(packet: bytes) -> _Document:
    if len(packet) > MAX_XMP_BYTES:
        raise XmpParseError(f"XMP packet of {len(packet)} bytes exceeds the {MAX_XMP_BYTES}-byte limit")
    parser = xml.parsers.expat.ParserCreate(namespace_separator=_SEP)
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    prefixes: dict[str, str] = {}
    stack: list[_Element] = []
    roots: list[_Element] = []

    def refuse(*_args: object) -> None:
        raise XmpParseError("XMP packet contains a DOCTYPE or entity declaration (refused for safety)")

    def start_ns(prefix: str | None, uri: str) -> None:
        if prefix and uri not in prefixes:
            prefixes[uri] = prefix

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= _MAX_DEPTH:
            raise XmpParseError(f"XMP nesting deeper than {_MAX_DEPTH} levels")
        ns, local = _split(name)
        elem = _Element(ns, local, [(*_split(k), v) for k, v in attrs.items()])
        if stack:
            stack[-1].children.append(elem)
        else:
            roots.append(elem)
        stack.append(elem)

    def end(_name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            kids = stack[-1].children
            if kids and isinstance(kids[-1], str):
                kids[-1] += data
            else:
                kids.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartNamespaceDeclHandler = start_ns
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(packet, True)
    except xml.parsers.expat.ExpatError as err:
        raise XmpParseError(f"malformed XMP packet: {err}") from None
    except (ValueError, LookupError) as err:  # e.g. an unknown encoding declaration
        raise XmpParseError(f"malformed XMP packet: {err}") from None
    if not roots:
        raise XmpParseError("XMP packet has no root element")
    return _Document(roots[0], prefixes)


def _descriptions(root: _Element) -> tuple[_Element | None, list[_Element]]:
    """The rdf:RDF element and its rdf:Description children (None if the packet has no rdf:RDF)."""
    todo = [root]
    while todo:
        elem = todo.pop()
        if (elem.ns, elem.local) == (RDF_NS, "RDF"):
            return elem, [d for d in elem.elements() if (d.ns, d.local) == (RDF_NS, "Description")]
        todo.extend(elem.elements())
    return None, []


def _property_values(description: _Element) -> list[str]:
    """Every TC260:AIGC value in one rdf:Description: attribute form and element form."""
    values = [v for ns, local, v in description.attrs if (ns, local) == (TC260_NS, PROPERTY)]
    for child in description.elements():
        if (child.ns, child.local) != (TC260_NS, PROPERTY):
            continue
        # rdf:Alt/rdf:Seq/rdf:Bag wrappers are not what the practice guide writes, but read them.
        items = [li for c in child.elements() for li in c.elements() if li.local == "li"]
        values.append(items[0].text() if items else child.text())
    return values


def read_xmp_carriers(packet: bytes, name: str = "xmp") -> list[Carrier]:
    """Every TC260:AIGC property in the packet as a Carrier (normally one; more is a conflict).

    A malformed packet that mentions AIGC yields one Carrier with ``error`` set, so ``inspect`` can say
    the label is unreadable; a malformed packet without it yields nothing (it is not our carrier).
    """
    try:
        doc = _parse(packet)
    except XmpParseError as err:
        if b"AIGC" in packet or "AIGC".encode("utf-16-be") in packet:
            return [Carrier(name, None, "", err.message)]
        return []
    _rdf, descriptions = _descriptions(doc.root)
    carriers: list[Carrier] = []
    for description in descriptions:
        for value in _property_values(description):
            try:
                carriers.append(Carrier(name, ContentLabel.from_json(value), value))
            except LabelError as err:
                carriers.append(Carrier(name, None, value, err.message))
    return carriers


def read_xmp_label(packet: bytes) -> Carrier | None:
    """The first TC260:AIGC carrier of the packet, or None if it has none."""
    carriers = read_xmp_carriers(packet)
    return carriers[0] if carriers else None


def inner_json(label: ContentLabel) -> str:
    """``label.inner_json()`` without ``dataclasses.asdict``'s deep copy (this runs once per file)."""
    return json.dumps({key: getattr(label, key) for key in KEYS}, ensure_ascii=True, separators=(",", ":"))


def _property_xml(label: ContentLabel, indent: str) -> str:
    # Element content, not an attribute: the JSON's quotes then need no escaping and stay readable.
    return f"{indent}<{TC260_PREFIX}:{PROPERTY}>{escape(inner_json(label))}</{TC260_PREFIX}:{PROPERTY}>"


def _wrap(body: str, padding: int) -> bytes:
    pad = ""
    if padding > 0:
        # XMP padding: lines of spaces so the packet can be edited in place later.
        lines, rest = divmod(padding, 100)
        pad = ("\n" + " " * 99) * lines + ("\n" + " " * (rest - 1) if rest else "")
    return f"{_PACKET_BEGIN}\n{body}{pad}\n{_PACKET_END}".encode()


# A batch gives every file the same label: build its packet once (labels are frozen, so hashable).
@functools.lru_cache(maxsize=64)
def build_xmp_packet(label: ContentLabel, padding: int = 0) -> bytes:
    """A complete UTF-8 ``<?xpacket?>`` packet holding only the TC260:AIGC property.

    ``padding`` adds that many bytes of whitespace before the closing processing instruction.
    """
    body = (
        f'<x:xmpmeta xmlns:x="{X_NS}" x:xmptk="hegui">\n'
        f' <rdf:RDF xmlns:rdf="{RDF_NS}">\n'
        f'  <rdf:Description rdf:about="" xmlns:{TC260_PREFIX}="{TC260_NS}">\n'
        f"{_property_xml(label, '   ')}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>"
    )
    return _wrap(body, padding)


def _is_empty_description(description: _Element) -> bool:
    real_attrs = [a for a in description.attrs if (a[0], a[1]) != (RDF_NS, "about")]
    return not real_attrs and not description.elements() and not description.text().strip()


def _serialise(root: _Element, prefixes: dict[str, str]) -> str:
    """XML text for ``root`` using the packet's own prefixes; all declarations go on the root."""
    used: dict[str, str] = {}
    taken = set(prefixes.values())

    def prefix_of(ns: str) -> str:
        if ns == XML_NS:
            return "xml"
        if ns not in used:
            prefix = prefixes.get(ns)
            if prefix is None:
                n = 1
                while f"ns{n}" in taken:
                    n += 1
                prefix = f"ns{n}"
                taken.add(prefix)
            used[ns] = prefix
        return used[ns]

    def qname(ns: str, local: str) -> str:
        return f"{prefix_of(ns)}:{local}" if ns else local

    def render(elem: _Element, out: list[str]) -> None:
        out.append("<" + qname(elem.ns, elem.local))
        for ns, local, value in elem.attrs:
            out.append(f" {qname(ns, local)}={quoteattr(value)}")
        if not elem.children:
            out.append("/>")
            return
        out.append(">")
        for child in elem.children:
            if isinstance(child, str):
                out.append(escape(child))
            else:
                render(child, out)
        out.append(f"</{qname(elem.ns, elem.local)}>")

    parts: list[str] = []
    render(root, parts)
    decls = "".join(f" xmlns:{p}={quoteattr(ns)}" for ns, p in used.items())
    first = parts[0]  # "<prefix:name" of the root: namespace declarations follow it
    return first + decls + "".join(parts[1:])


def merge_into_xmp(existing_packet: bytes | None, label: ContentLabel, padding: int = 0) -> bytes:
    """A packet with our TC260:AIGC property set to ``label`` and every other property of
    ``existing_packet`` kept. Any earlier TC260:AIGC value is removed first: one label, never two.

    Raises XmpParseError (an InputError) if the existing packet is malformed — rewriting it would
    lose the file's other metadata, so we refuse instead.
    """
    if existing_packet is None or not existing_packet.strip(b"\x00 \t\r\n"):
        return build_xmp_packet(label, padding)
    doc = _parse(existing_packet)
    rdf, descriptions = _descriptions(doc.root)
    if rdf is None:
        raise XmpParseError("existing XMP packet has no rdf:RDF element")
    about = ""
    for description in descriptions:
        about = next((v for ns, loc, v in description.attrs if (ns, loc) == (RDF_NS, "about")), about)
        description.attrs = [a for a in description.attrs if (a[0], a[1]) != (TC260_NS, PROPERTY)]
        description.children = [
            c for c in description.children
            if not (isinstance(c, _Element) and (c.ns, c.local) == (TC260_NS, PROPERTY))
        ]
        if _is_empty_description(description):
            # The one we wrote last time: drop it (and its indentation), re-add below.
            at = next(i for i, c in enumerate(rdf.children) if c is description)
            before = rdf.children[at - 1] if at else None
            drop_from = at - 1 if isinstance(before, str) and not before.strip() else at
            del rdf.children[drop_from:at + 1]
    ours = _Element(RDF_NS, "Description", [(RDF_NS, "about", about)], [
        "\n   ", _Element(TC260_NS, PROPERTY, [], [inner_json(label)]), "\n  ",
    ])
    # Keep the layout readable: indent like the neighbouring descriptions.
    if rdf.children and isinstance(rdf.children[-1], str):
        tail = rdf.children.pop()
        rdf.children.extend(["\n  ", ours, tail])
    else:
        rdf.children.extend(["\n  ", ours, "\n "])
    prefixes = dict(doc.prefixes)
    prefixes[TC260_NS] = TC260_PREFIX
    if list(prefixes.values()).count(TC260_PREFIX) > 1:
        # Another namespace already uses the prefix TC260: rename that one, not ours.
        for uri, prefix in list(prefixes.items()):
            if prefix == TC260_PREFIX and uri != TC260_NS:
                del prefixes[uri]
    return _wrap(_serialise(doc.root, prefixes), padding)
