"""API connectors: Spotify Web API artists and Ticketmaster Discovery v2 events, venues and
attractions, fetched through one HTTP layer (timeouts, pacing, 429 + Retry-After, backoff
with full jitter), mapped to the domain models and landed in the raw zone: the API pages
as received, the valid records as NDJSON for the file ingestion, rejections with reasons
in quarantine, and a manifest whose counts add up. Credentials come from the secrets port.
What Ticketmaster does not publish (venue capacity and type, artist popularity) is read
from the operator's CSV files.
"""

from concert.ingest.connectors.credentials import read_credentials
from concert.ingest.connectors.enrichment import (
    EnrichmentFileError,
    read_artist_popularity,
    read_venue_facts,
)
from concert.ingest.connectors.exceptions import (
    ApiAuthenticationError,
    ApiNotFoundError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiRequestError,
    ApiResponseError,
    ApiUnavailableError,
    MissingCredentialsError,
    UnmappableRecordError,
)
from concert.ingest.connectors.http import (
    ApiPage,
    ApiResponse,
    HttpOptions,
    JsonApi,
    RetryPolicy,
    parse_retry_after,
)
from concert.ingest.connectors.landing import (
    ConnectorRun,
    FetchProgress,
    LandedBatch,
    ProgressCallback,
    land_api_records,
)
from concert.ingest.connectors.mapping import (
    Enrichment,
    EntityBatch,
    MappedRecord,
    Rejection,
    VenueFacts,
    map_spotify_artists,
    map_ticketmaster_events,
)
from concert.ingest.connectors.spotify import SpotifyClient, fetch_spotify_artists
from concert.ingest.connectors.ticketmaster import (
    EventQuery,
    TicketmasterClient,
    fetch_ticketmaster_events,
)

__all__ = [
    "ApiAuthenticationError",
    "ApiNotFoundError",
    "ApiPage",
    "ApiPermissionError",
    "ApiRateLimitedError",
    "ApiRequestError",
    "ApiResponse",
    "ApiResponseError",
    "ApiUnavailableError",
    "ConnectorRun",
    "Enrichment",
    "EnrichmentFileError",
    "EntityBatch",
    "EventQuery",
    "FetchProgress",
    "HttpOptions",
    "JsonApi",
    "LandedBatch",
    "MappedRecord",
    "MissingCredentialsError",
    "ProgressCallback",
    "Rejection",
    "RetryPolicy",
    "SpotifyClient",
    "TicketmasterClient",
    "UnmappableRecordError",
    "VenueFacts",
    "fetch_spotify_artists",
    "fetch_ticketmaster_events",
    "land_api_records",
    "map_spotify_artists",
    "map_ticketmaster_events",
    "parse_retry_after",
    "read_artist_popularity",
    "read_credentials",
    "read_venue_facts",
]
