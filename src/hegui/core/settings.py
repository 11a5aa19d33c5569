"""One typed Settings object, built once by the composition root and passed in — never a global.

Sources, highest first: explicit keyword arguments, ``HEGUI_*`` environment variables, the TOML file
(``HEGUI_CONFIG`` or ``./hegui.toml``), defaults. Unknown keys and bad values fail at start with a
message naming the field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hegui.core.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEGUI_", extra="forbid", validate_default=True)

    # --- moderation
    # NoDecode: we split 'a:b' ourselves (and still accept a JSON list) in _split_paths.
    lexicon_paths: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra keyword libraries (directories or .tsv files), added to the seed library. "
        "Env: HEGUI_LEXICON_PATHS, paths separated by ':' or a JSON list.",
    )
    use_seed_lexicon: bool = Field(True, description="Load the keyword library shipped with hegui.")
    policy_path: Path | None = Field(None, description="Policy file (TOML or YAML); default policy if unset.")
    matcher_backend: Literal["auto", "hyperscan", "ahocorasick"] = "auto"
    max_text_chars: int = Field(20_000_000, gt=0, description="Longest text one check accepts.")

    # --- TC260 self-assessment minima ([secondary] in REGULATIONS.md: configurable, not constants)
    lexicon_min_total: int = Field(10_000, ge=0)
    lexicon_min_per_a1_risk: int = Field(200, ge=0)
    lexicon_min_per_a2_risk: int = Field(100, ge=0)

    # --- server
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    max_request_bytes: int = Field(32 * 1024 * 1024, gt=0)

    # --- storage
    data_dir: Path = Path(".hegui")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir.")

    @field_validator("lexicon_paths", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                import json

                try:
                    return json.loads(value)
                except ValueError:
                    raise ValueError("not a valid JSON list of paths") from None
            return [p for p in value.split(os.pathsep) if p]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("HEGUI_CONFIG", "hegui.toml")
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'hegui.db').as_posix()}"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning any validation problem into one ConfigError that names the field."""
    config = os.environ.get("HEGUI_CONFIG")
    if config and not Path(config).is_file():
        raise ConfigError(f"HEGUI_CONFIG points to {config!r}, which is not a readable file")
    try:
        return Settings(**overrides)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            field = ".".join(str(p) for p in e["loc"]) or "settings"
            problems.append(f"{field}: {e['msg']}")
        raise ConfigError("invalid settings — " + "; ".join(problems)) from None
    except (ValueError, OSError) as err:  # e.g. a TOML file that does not parse
        raise ConfigError(f"invalid settings file: {err}") from None
