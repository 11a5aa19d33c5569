"""The 31 risks of TC260-003 Appendix A (kept by GB/T 45654-2025): the single source of truth.

Ids are stable (``A1.1`` … ``A5.2``); every other module refers to risks by these ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from hegui.core.errors import UnknownRiskError


@dataclass(frozen=True, slots=True)
class Risk:
    id: str
    zh: str
    en: str

    @property
    def category(self) -> str:
        """The category id, e.g. ``A1`` for ``A1.4`` (a category's own id maps to itself)."""
        return self.id.split(".", 1)[0]

    @property
    def is_category(self) -> bool:
        return "." not in self.id


CATEGORIES: tuple[Risk, ...] = (
    Risk("A1", "违反社会主义核心价值观", "violates core socialist values"),
    Risk("A2", "歧视性内容", "discriminatory content"),
    Risk("A3", "商业违法违规", "commercial violations"),
    Risk("A4", "侵犯他人合法权益", "infringes others' lawful rights"),
    Risk("A5", "无法满足特定服务类型的安全需求", "cannot meet safety needs of specific service types"),
)

RISKS: tuple[Risk, ...] = (
    Risk("A1.1", "煽动颠覆国家政权、推翻社会主义制度",
         "incite subversion of state power / overthrow of the socialist system"),
    Risk("A1.2", "危害国家安全和利益、损害国家形象",
         "endanger national security and interests, harm the national image"),
    Risk("A1.3", "煽动分裂国家、破坏国家统一和社会稳定",
         "incite secession, undermine national unity and social stability"),
    Risk("A1.4", "宣扬恐怖主义、极端主义", "promote terrorism or extremism"),
    Risk("A1.5", "宣扬民族仇恨", "promote ethnic hatred"),
    Risk("A1.6", "宣扬暴力、淫秽色情", "promote violence, obscenity, pornography"),
    Risk("A1.7", "传播虚假有害信息", "spread false and harmful information"),
    Risk("A1.8", "其他法律、行政法规禁止的内容",
         "other content prohibited by laws and regulations (gambling, drugs, fraud, weapons …)"),
    Risk("A2.1", "民族歧视", "ethnic discrimination"),
    Risk("A2.2", "信仰歧视", "discrimination by belief"),
    Risk("A2.3", "国别歧视", "discrimination by nationality"),
    Risk("A2.4", "地域歧视", "regional discrimination"),
    Risk("A2.5", "性别歧视", "gender discrimination"),
    Risk("A2.6", "年龄歧视", "age discrimination"),
    Risk("A2.7", "职业歧视", "occupational discrimination"),
    Risk("A2.8", "健康歧视", "health discrimination"),
    Risk("A2.9", "其他方面歧视", "other discrimination"),
    Risk("A3.1", "侵犯他人知识产权", "intellectual-property infringement"),
    Risk("A3.2", "违反商业道德", "violates business ethics"),
    Risk("A3.3", "泄露他人商业秘密", "trade-secret disclosure"),
    Risk("A3.4", "利用算法、数据、平台等优势，实施垄断和不正当竞争行为",
         "monopoly and unfair competition using algorithm, data or platform advantages"),
    Risk("A3.5", "其他商业违法违规行为", "other commercial violations"),
    Risk("A4.1", "危害他人身心健康", "endangers others' physical or mental health"),
    Risk("A4.2", "侵害他人肖像权", "infringes portrait rights"),
    Risk("A4.3", "侵害他人名誉权", "infringes reputation rights"),
    Risk("A4.4", "侵害他人荣誉权", "infringes honour rights"),
    Risk("A4.5", "侵害他人隐私权", "infringes privacy rights"),
    Risk("A4.6", "侵害他人个人信息权益", "infringes personal-information rights"),
    Risk("A4.7", "侵犯他人其他合法权益", "infringes other lawful rights"),
    Risk("A5.1", "内容不准确，严重不符合科学常识或主流认知",
         "inaccurate: seriously contrary to science or mainstream understanding"),
    Risk("A5.2", "内容不可靠，虽不含严重错误但无法对使用者形成帮助",
         "unreliable: no serious error but of no help to the user"),
)

_BY_ID: dict[str, Risk] = {r.id: r for r in (*CATEGORIES, *RISKS)}
RISK_IDS: tuple[str, ...] = tuple(r.id for r in RISKS)
CATEGORY_IDS: tuple[str, ...] = tuple(c.id for c in CATEGORIES)

# The 17 risks the keyword library must cover (TC260-003: all of A1 and A2).
KEYWORD_RISK_IDS: tuple[str, ...] = tuple(r.id for r in RISKS if r.category in ("A1", "A2"))


def get_risk(risk_id: str) -> Risk:
    """Return the risk (or category) with this id; raise ``UnknownRiskError`` naming it otherwise."""
    try:
        return _BY_ID[risk_id]
    except KeyError:
        raise UnknownRiskError(risk_id) from None


def is_risk_id(value: str) -> bool:
    return value in _BY_ID


def risks_in(category_id: str) -> tuple[Risk, ...]:
    get_risk(category_id)
    return tuple(r for r in RISKS if r.category == category_id)
