"""Concert Data Platform settings, read from ``SKYLINE_CONCERT_*`` variables.

Resource names default to the local names; on AWS the infrastructure sets the
real bucket, stream and workgroup names through these variables.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConcertSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SKYLINE_CONCERT_", env_file=".env", extra="ignore", validate_default=True
    )

    raw_bucket: str = "concert-data-raw"
    processed_bucket: str = "concert-data-processed"
    models_bucket: str = "concert-model-artifacts"
    warehouse: str = "concert"
    events_stream: str = "concert-events"
    events_stream_shards: int = Field(default=2, ge=1, le=64)
    artist_stream: str = "concert-artist-data"
    venue_stream: str = "concert-venue-data"

    spotify_secret: str = Field(
        default="concert/spotify", description="JSON {client_id, client_secret}"
    )
    ticketmaster_secret: str = Field(default="concert/ticketmaster", description="JSON {api_key}")
    spotify_api_url: str = "https://api.spotify.com/v1"
    spotify_token_url: str = "https://accounts.spotify.com/api/token"  # noqa: S105 - a URL
    ticketmaster_api_url: str = "https://app.ticketmaster.com/discovery/v2"

    max_upload_bytes: int = Field(default=2 * 1024**3, gt=0, description="largest accepted upload")
    demo_seed: int = 7
    demo_preset: str = Field(default="demo", description="generator preset `skyline prepare` uses")


@lru_cache(maxsize=1)
def get_concert_settings() -> ConcertSettings:
    return ConcertSettings()


__all__ = ["ConcertSettings", "get_concert_settings"]
