"""Errors a user can cause. Each carries one clear message; adapters turn them into an exit code or a
4xx JSON body. Anything else escaping is a bug in hegui."""

from __future__ import annotations


class HeguiError(Exception):
    """Base of every user-facing error. ``str(err)`` is the message shown to the user."""

    exit_code: int = 2
    http_status: int = 400
    code: str = "hegui_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(HeguiError):
    code = "config_error"


class InputError(HeguiError):
    """Bad input: malformed file, wrong JSON, text too large, unreadable file."""

    code = "invalid_input"


class PayloadTooLargeError(InputError):
    http_status = 413
    code = "payload_too_large"


class NotFoundError(HeguiError):
    http_status = 404
    code = "not_found"


class UnknownRiskError(ConfigError):
    code = "unknown_risk"

    def __init__(self, risk_id: str, where: str = "") -> None:
        place = f" ({where})" if where else ""
        super().__init__(f"unknown risk id {risk_id!r}{place}; valid ids are A1 … A5 and A1.1 … A5.2")
        self.risk_id = risk_id


class LexiconError(HeguiError):
    code = "lexicon_error"


class PolicyError(ConfigError):
    code = "policy_error"


class ModelError(HeguiError):
    code = "model_error"


class UpstreamError(HeguiError):
    """An external service (upstream LLM, remote judge) failed or was unreachable."""

    http_status = 502
    code = "upstream_error"


class LabelError(HeguiError):
    code = "label_error"


class UnsupportedFormatError(LabelError):
    http_status = 415
    code = "unsupported_format"
