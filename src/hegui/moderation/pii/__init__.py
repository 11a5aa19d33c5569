"""Personal-information detection (risk A4.6) with validation, and masking operators.

>>> from hegui.moderation.pii import PIIDetector, mask
>>> text = "手机 13812345678"
>>> mask(text, PIIDetector().detect(text))
'手机 138****5678'
"""

from __future__ import annotations

from hegui.moderation.pii.detector import PII_RISK, PIIDetector
from hegui.moderation.pii.masking import MASK_OPERATORS, mask
from hegui.moderation.pii.rules import PII_TYPES

__all__ = ["MASK_OPERATORS", "PII_RISK", "PII_TYPES", "PIIDetector", "mask"]
