"""The Concert Data Platform's HTTP API: one FastAPI app, a router per resource."""
