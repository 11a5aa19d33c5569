"""Personal-information detection (risk A4.6) with validation, and masking operators.

>>> from hegui.moderation.pii import PIIDetector, mask
>>> text = "手机 13812345678"
>>> mask(text, PIIDetector().detect(text))
'手机 138****5678'

The validators (resident ID, Luhn bank card, HKID, IP) are plain functions in
``hegui.moderation.pii.validators`` for callers that check a single value.
"""

from __future__ import annotations

from hegui.moderation.pii.detector import PII_RISK, PIIDetector
from hegui.moderation.pii.masking import MASK_OPERATORS, mask
from hegui.moderation.pii.rules import PII_TYPES
from hegui.moderation.pii.validators import is_valid_bank_card, is_valid_cn_id

__all__ = ["MASK_OPERATORS", "PII_RISK", "PII_TYPES", "PIIDetector", "is_valid_bank_card", "is_valid_cn_id",
           "mask"]
