"""The classifier's output labels and the risk id each one reports.

The labels are coarser than the 31 risks (public and written training data do not separate A1.1 from
A1.3, say); each names the risk id a finding carries. ``discrimination`` reports A2.9 unless a
group head (region / gender / ethnic) is the most likely target, then A2.4 / A2.5 / A2.1.

``harmful`` is the gate: trained on every harmful example whatever its category, it has many more
positives than any one category, so it decides *whether* a text is harmful; the category heads
decide *which* risk it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    risk: str
    zh: str
    # Group heads refine another label's risk id; they never produce a finding of their own.
    refines: str | None = None
    gate: bool = False


LABELS: tuple[Label, ...] = (
    Label("political", "A1.1", "煽动颠覆、分裂国家、损害国家形象"),
    Label("terror", "A1.4", "恐怖主义、极端主义"),
    Label("violence", "A1.6", "暴力"),
    Label("porn", "A1.6", "淫秽色情"),
    Label("false_info", "A1.7", "虚假有害信息"),
    Label("illegal", "A1.8", "违法犯罪（赌博、毒品、诈骗、武器、黑产）"),
    Label("discrimination", "A2.9", "歧视"),
    Label("insult", "A4.3", "辱骂、侮辱、诽谤"),
    Label("privacy", "A4.6", "侵犯隐私与个人信息"),
    Label("self_harm", "A4.1", "自杀自残、危害身心健康"),
    Label("disc_region", "A2.4", "地域歧视（细分）", refines="discrimination"),
    Label("disc_gender", "A2.5", "性别歧视（细分）", refines="discrimination"),
    Label("disc_ethnic", "A2.1", "民族、种族、国别歧视（细分）", refines="discrimination"),
    Label("harmful", "", "有害（总体）", gate=True),
)
LABEL_NAMES: tuple[str, ...] = tuple(label.name for label in LABELS)
BY_NAME: dict[str, Label] = {label.name: label for label in LABELS}
# The labels that are harms of their own (what "flagged" means when scoring a data set).
HARM_LABELS: tuple[str, ...] = tuple(label.name for label in LABELS
                                     if label.refines is None and not label.gate)
GATE_LABEL = "harmful"
