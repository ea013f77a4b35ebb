"""One module per resource, each exposing ``router``; ``concert.api.main`` gathers them."""
