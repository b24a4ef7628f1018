"""Bot settings, read from the environment (and a ``.env`` file) like the engine's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.limits import Limits


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
    question_burst: int = Field(
        default=Limits.burst, ge=1, description="questions a user may ask back to back"
    )
    question_every: float = Field(
        default=Limits.every,
        ge=0,
        description="then one more question per this many seconds and user (0: no rate limit)",
    )
    channel_queue: int = Field(
        default=Limits.per_channel,
        ge=1,
        description="questions waiting or being answered in one channel, at most",
    )
    server_queue: int = Field(
        default=Limits.per_server, ge=1, description="… in one server, at most"
    )
    queue: int = Field(default=Limits.total, ge=1, description="… in all, at most")
    workers: int = Field(
        default=2, ge=1, description="questions answered at once (threads running the engine)"
    )
    shards: int | Literal["auto"] | None = Field(
        default=None,
        description="run as an AutoShardedBot with this many shards (auto: as Discord advises)",
    )
    shard_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="the shards this process runs (with REVUE_SHARDS as a number): e.g. 0,1",
    )
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

    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="serve Prometheus metrics at http://HOST:PORT/metrics (unset: no endpoint)",
    )
    metrics_host: str = Field(
        default="0.0.0.0",  # noqa: S104 - reached through the container's published port
        description="the address the metrics endpoint listens on",
    )
    health_file: Path | None = Field(
        default=None,
        description="where the bot writes its pulse for `revue health` "
        "(default: bot-health.json in REVUE_DATA_DIR)",
    )

    @field_validator("channels", "admin_ids", "corpus", "shard_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("shards", mode="before")
    @classmethod
    def _shard_count(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        if isinstance(value, str) and value.strip():
            if not value.strip().isdigit() or int(value) < 1:
                raise ValueError(f"{value!r} is not a number of shards (1 or more) nor auto")
            return int(value)
        return value or None

    @model_validator(mode="after")
    def _shards_known(self) -> BotSettings:
        if self.shard_ids and not isinstance(self.shards, int):
            raise ValueError("REVUE_SHARD_IDS needs REVUE_SHARDS set to the number of shards")
        if isinstance(self.shards, int) and not (
            self.shards >= 1 and all(0 <= i < self.shards for i in self.shard_ids)
        ):
            raise ValueError("REVUE_SHARD_IDS must be shard numbers below REVUE_SHARDS (≥ 1)")
        return self

    def limits(self) -> Limits:
        return Limits(
            burst=self.question_burst,
            every=self.question_every,
            per_channel=self.channel_queue,
            per_server=self.server_queue,
            total=self.queue,
        )

    def secret(self) -> str | None:
        """The token's value, for ``Client.start`` only."""
        return self.token.get_secret_value() if self.token else None
