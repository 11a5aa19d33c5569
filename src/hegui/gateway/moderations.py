"""``POST /v1/moderations``: the OpenAI moderation API shape, keyed by hegui's risk ids.

Request ``{"input": str | [str], "model"?: str, "direction"?: "input" | "output"}``. Each result has
``flagged``, ``categories`` and ``category_scores`` for all 31 risks and the 5 categories, plus a
``hegui`` object with the action, findings, policy version, and the safe answer or rewritten text.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from hegui import __version__
from hegui.core.errors import InputError
from hegui.core.risks import CATEGORY_IDS, RISK_IDS
from hegui.core.types import Action, Direction, Verdict

# More texts than this in one request is almost always a client bug; batch on the client side.
MAX_INPUTS = 1000

router = APIRouter()


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # OpenAI clients may send fields we do not use

    input: StrictStr | list[StrictStr] = Field(description="A text or a list of texts.")
    model: StrictStr | None = Field(None, description="Accepted for compatibility; hegui's policy decides.")
    direction: Direction = Field(Direction.INPUT, description="input (a prompt) or output (a model answer).")


def _result(verdict: Verdict, moderator: Any) -> dict[str, Any]:
    # Per-risk actions are not part of the Verdict; re-deciding its findings is cheap and exact.
    decision = moderator.policy.decide(verdict.findings, verdict.direction)
    flagged_risks = {rid for rid, action in decision.risk_actions.items() if action is not Action.PASS}
    scores = {rid: round(verdict.risks.get(rid, 0.0), 4) for rid in RISK_IDS}
    categories = {rid: rid in flagged_risks for rid in RISK_IDS}
    for cat in CATEGORY_IDS:
        members = [rid for rid in RISK_IDS if rid.split(".", 1)[0] == cat]
        scores[cat] = max([verdict.risks.get(cat, 0.0), *(scores[m] for m in members)])
        categories[cat] = cat in flagged_risks or any(categories[m] for m in members)
    return {
        "flagged": verdict.flagged,
        "categories": categories,
        "category_scores": scores,
        "hegui": {
            "action": verdict.action.value,
            "direction": verdict.direction.value,
            "findings": [f.to_dict() for f in verdict.findings],
            "policy_version": verdict.policy_version,
            "detector_versions": dict(verdict.detector_versions),
            "message": verdict.message,
            "rewritten": verdict.rewritten,
        },
    }


@router.post("/v1/moderations")
async def create_moderation(body: ModerationRequest, request: Request) -> dict[str, Any]:
    """Moderate one text or a list of texts (OpenAI-compatible)."""
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts:
        raise InputError("input: the list of texts is empty")
    if len(texts) > MAX_INPUTS:
        raise InputError(f"input: {len(texts)} texts in one request, more than the limit of {MAX_INPUTS}")
    moderator = request.app.state.moderator
    verdicts = await asyncio.gather(*(moderator.acheck(t, body.direction) for t in texts))
    return {
        "id": f"modr-{uuid.uuid4().hex}",
        "model": f"hegui-{__version__}",
        "results": [_result(v, moderator) for v in verdicts],
    }
