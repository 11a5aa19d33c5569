"""Split-character forms: a character written as its components side by side (弓长 for 张).

A small table we wrote ourselves of common, unambiguous splits. It is used on the TERM side: a term
with SPLIT on is also compiled with one or more of its characters replaced by their parts.
"""

from __future__ import annotations

import itertools

SPLITS: dict[str, tuple[str, ...]] = {
    "张": ("弓长",), "奸": ("女干",), "李": ("木子",), "法": ("氵去",), "轮": ("车仑",),
    "功": ("工力",), "好": ("女子",), "明": ("日月",), "林": ("木木",), "炎": ("火火",),
    "胡": ("古月",), "杨": ("木昜", "木易"), "陈": ("阝东",), "吴": ("口天",), "许": ("讠午",),
    "江": ("氵工",), "泽": ("氵圣",), "民": ("巳七",), "鸡": ("又鸟",), "妈": ("女马",),
    "逼": ("辶畐",), "屄": ("尸穴",), "操": ("扌喿",), "炮": ("火包",), "枪": ("木仓",),
    "赌": ("贝者",), "博": ("十尃",), "毒": ("龶母",), "嫖": ("女票",), "娼": ("女昌",),
    "妓": ("女支",), "婊": ("女表",), "淫": ("氵㸒",), "独": ("犭虫",), "杀": ("乂木",),
    "骗": ("马扁",), "码": ("石马",), "姓": ("女生",), "体": ("亻本",), "休": ("亻木",),
    "她": ("女也",), "伙": ("亻火",), "汉": ("氵又",), "裸": ("衤果",), "偷": ("亻俞",),
    "炸": ("火乍",), "弹": ("弓单",), "暴": ("日共水",), "恐": ("巩心",), "政": ("正攵",),
    "府": ("广付",), "党": ("尚儿",), "共": ("艹八",), "产": ("立丿",), "习": ("乛冫",),
    "近": ("斤辶",), "平": ("干丷",), "邓": ("又阝",), "峰": ("山夆",),
}
# More variants than this per term are not generated (a long term with many splittable characters).
MAX_VARIANTS = 16


def split_variants(term: str) -> list[str]:
    """``term`` with one or more characters replaced by their split forms (the term itself excluded)."""
    options = [(ch, *SPLITS.get(ch, ())) for ch in term]
    out: list[str] = []
    for combo in itertools.product(*options):
        variant = "".join(combo)
        if variant != term:
            out.append(variant)
            if len(out) >= MAX_VARIANTS:
                break
    return out
