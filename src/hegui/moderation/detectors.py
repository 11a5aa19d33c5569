"""The detector registry: every detector — ours or a plug-in's — is built the same way.

A factory is ``factory(settings: Settings, **options) -> Detector``; ``options`` come from the
policy's ``[detectors.NAME.options]`` table. Built-ins ("keyword", "pii", "judge", "classifier",
"semantic") import their modules only when built, so listing the registry stays cheap. Third-party
packages register through the entry-point group ``hegui.detectors``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from hegui.core.errors import PolicyError
from hegui.core.registry import Registry
from hegui.core.types import Detector

if TYPE_CHECKING:
    from hegui.core.settings import Settings
    from hegui.moderation.policy import Policy

registry: Registry[Detector] = Registry("detectors")


def keyword_paths(settings: Settings) -> list[Any]:
    """The keyword libraries a Settings asks for: the seed library (unless switched off) + extras."""
    paths: list[Any] = []
    if settings.use_seed_lexicon:
        from hegui.moderation.lexicon import seed_lexicon_path

        paths.append(seed_lexicon_path())
    paths.extend(settings.lexicon_paths)
    return paths


# Built-in factories spell out the options they take, so a policy typo is caught by signature binding.
def _keyword_detector(settings: Settings) -> Detector:
    from hegui.moderation.keyword import KeywordDetector
    from hegui.moderation.lexicon import load_lexicons

    return KeywordDetector(load_lexicons(keyword_paths(settings)), settings.matcher_backend)


def _pii_detector(settings: Settings, *, types: list[str] | None = None, exclude: list[str] | None = None,
                  ) -> Detector:
    from hegui.moderation.pii import PIIDetector

    return PIIDetector(types, exclude=exclude or ())


def _judge_detector(settings: Settings, *, base_url: str, model: str, api_key_env: str | None = None,
                    format: str = "qwen3guard", timeout: float = 10.0,
                    max_concurrency: int = 4, on_error: str = "fail-closed",
                    risk_map: dict[str, str] | None = None, max_chars: int = 8000,
                    unsafe_score: float = 0.9, controversial_score: float = 0.6,
                    default_risk: str = "A1.8", error_risk: str = "A1.8", error_score: float = 1.0,
                    max_tokens: int | None = None) -> Detector:
    from hegui.moderation.judge import RemoteJudgeDetector

    return RemoteJudgeDetector(
        base_url=base_url, model=model, api_key_env=api_key_env, format=format, timeout=timeout,
        max_concurrency=max_concurrency, on_error=on_error, risk_map=risk_map, max_chars=max_chars,
        unsafe_score=unsafe_score, controversial_score=controversial_score, default_risk=default_risk,
        error_risk=error_risk, error_score=error_score, max_tokens=max_tokens)


def _classifier_detector(settings: Settings, *, model: str | None = None, directions: list[str] | None = None,
                         min_score: float | dict[str, float] | None = None, on_error: str = "fail-closed",
                         error_risk: str = "A1.8") -> Detector:
    from hegui.moderation.classify.detector import build_classifier

    return build_classifier(model=model, directions=directions, min_score=min_score, on_error=on_error,
                            error_risk=error_risk)


def _semantic_detector(settings: Settings, *, model: str | None = None, deep_model: str | None = None,
                       deep_latin_share: float = 0.5, directions: list[str] | None = None,
                       min_score: float | dict[str, float] | None = None, on_error: str = "fail-closed",
                       error_risk: str = "A1.8") -> Detector:
    from hegui.moderation.classify.detector import build_semantic

    return build_semantic(model=model, deep_model=deep_model, deep_latin_share=deep_latin_share,
                          directions=directions, min_score=min_score, on_error=on_error,
                          error_risk=error_risk)


registry.register("keyword", _keyword_detector)
registry.register("pii", _pii_detector)
registry.register("judge", _judge_detector)
registry.register("classifier", _classifier_detector)
registry.register("semantic", _semantic_detector)


def build_detectors(policy: Policy, settings: Settings) -> list[Detector]:
    """Instantiate the policy's enabled detectors, in policy order. Options a factory does not accept
    are a PolicyError naming the policy line."""
    detectors: list[Detector] = []
    for conf in policy.enabled_detectors:
        factory = registry.get(conf.name)
        try:
            inspect.signature(factory).bind(settings, **conf.options)
        except TypeError as err:
            where = f"line {conf.line}: " if conf.line is not None else ""
            raise PolicyError(f"{policy.source}: {where}detectors.{conf.name}.options: {err}") from None
        except ValueError:  # no introspectable signature (e.g. a C extension): let the call decide
            pass
        detectors.append(factory(settings, **conf.options))
    return detectors
