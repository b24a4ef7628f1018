"""Bot settings, read from the environment (and a ``.env`` file) like the engine's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split(value: Any) -> Any:
    """Accept ``"1,2, 3"`` (as the environment gives it) as well as a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class BotSettings(BaseSettings):
    """Discord settings; ``DISCORD_*`` names as Discord tools use them, the rest ``REVUE_*``."""

    model_config = SettingsConfigDict(
        env_prefix="REVUE_", env_file=".env", extra="ignore", populate_by_name=True
    )

    token: SecretStr | None = Field(
        default=None, validation_alias="DISCORD_TOKEN", description="the bot token (never logged)"
    )
    channels: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="ids of channels where every message is a question"
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="user ids allowed to /reindex besides Manage Server"
    )
    api_base: str | None = Field(
        default=None,
        validation_alias="DISCORD_API_BASE",
        description="REST base including the version, e.g. http://proxy:8080/api/v10",
    )
    gateway_url: str | None = Field(
        default=None,
        validation_alias="DISCORD_GATEWAY_URL",
        description="gateway websocket URL, e.g. ws://proxy:8081/",
    )
    cooldown_seconds: float = Field(default=10.0, ge=0, description="pause between questions")
    corpus: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path("corpus")], description="what /reindex indexes"
    )
    news_channel: int | None = Field(
        default=None, description="channel id where each batch of new feed articles is announced"
    )
    progress_interval: float = Field(default=2.0, gt=0, description="seconds between status edits")
    thread_when_busy: int = Field(
        default=10,
        ge=0,
        description="messages per minute in a channel above which an answer goes into a new "
        "thread (0: never)",
    )

    @field_validator("channels", "admin_ids", "corpus", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split(value)

    def secret(self) -> str | None:
        """The token's value, for ``Client.start`` only."""
        return self.token.get_secret_value() if self.token else None
