"""Spotify and Ticketmaster connectors against a local server speaking their documented shapes."""
