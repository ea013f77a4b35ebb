"""Ingestion: every source that lands concert data in the raw zone.

The synthetic generator (:mod:`concert.ingest.generator`), the Spotify and
Ticketmaster connectors, file uploads and the real-time event stream.
"""
