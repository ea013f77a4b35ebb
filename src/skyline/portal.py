"""The local server: a landing page, the dependency health of the whole process, and
every built system mounted under its own path."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from foundation.settings import Settings
from foundation.web import create_app
from skyline.systems import SYSTEMS, SystemEntry

_STYLE = """
:root { color-scheme: light dark; --accent: #2563eb; --muted: #6b7280; }
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; }
header p { color: var(--muted); }
ul.systems { list-style: none; padding: 0; display: grid; gap: 1rem;
             grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); }
li.system { border: 1px solid #d1d5db; border-radius: .75rem; padding: 1rem 1.25rem; }
li.system h2 { margin: 0 0 .5rem; font-size: 1.2rem; }
.status { display: inline-block; font-size: .8rem; padding: .1rem .5rem; border-radius: 1rem; }
.status.ready { background: #dcfce7; color: #166534; }
.status.pending { background: #fef3c7; color: #92400e; }
a { color: var(--accent); }
table { border-collapse: collapse; }
td, th { padding: .25rem .75rem; text-align: left; border-bottom: 1px solid #e5e7eb; }
"""


def _system_card(entry: SystemEntry, built: bool) -> str:
    if built:
        links = (
            f'<a href="/{entry.slug}{entry.ui_path}">Open the app</a> · '
            f'<a href="/{entry.slug}/docs">API docs</a> · '
            f'<a href="/{entry.slug}/health">Health</a>'
        )
        status = '<span class="status ready">Ready</span>'
    else:
        links = "<em>Not built yet: this system arrives in a later release.</em>"
        status = '<span class="status pending">Not built yet</span>'
    return (
        f'<li class="system" data-system="{entry.slug}">'
        f"<h2>{escape(entry.name)}</h2>{status}<p>{escape(entry.summary)}</p><p>{links}</p></li>"
    )


def _landing_page(settings: Settings, built: dict[str, bool]) -> str:
    cards = "".join(_system_card(entry, built[entry.slug]) for entry in SYSTEMS)
    backends = {
        "object store": settings.object_store_backend,
        "table": settings.table_backend,
        "event stream": settings.stream_backend,
        "warehouse": settings.warehouse_backend,
        "cache": settings.effective_cache_backend,
        "secrets": settings.secrets_backend,
        "identity": settings.identity_backend,
        "LLM": settings.llm_backend,
    }
    rows = "".join(
        f"<tr><td>{escape(port)}</td><td>{escape(backend)}</td></tr>"
        for port, backend in backends.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Skyline</title><style>{_STYLE}</style></head>
<body><header><h1>Skyline</h1>
<p>Three serverless systems on one foundation, running locally on embedded adapters
({escape(settings.environment.value)} environment).</p></header>
<main><ul class="systems">{cards}</ul>
<section aria-labelledby="adapters"><h2 id="adapters">Adapters in use</h2>
<table><thead><tr><th>port</th><th>backend</th></tr></thead><tbody>{rows}</tbody></table>
<p><a href="/health">Dependency health</a> · <a href="/docs">Portal API docs</a></p></section>
</main></body></html>"""


def create_portal(settings: Settings) -> FastAPI:
    """Build the process's root app, mounting every built system under ``/<slug>``."""
    from foundation.adapters import Adapters  # noqa: PLC0415 - heavy imports only when serving

    adapters = Adapters(settings)
    factories = {entry.slug: entry.load_factory() for entry in SYSTEMS}
    app = create_app(
        title="Skyline",
        service="portal",
        description="Landing page and health of the local Skyline server.",
        max_request_bytes=settings.max_request_bytes,
        dependencies=adapters.health_dependencies,
        # Each mounted system enforces its own body limits (uploads need more than the portal).
        body_limit_overrides={f"/{slug}": None for slug, f in factories.items() if f is not None},
    )
    built: dict[str, bool] = {}
    for entry in SYSTEMS:
        factory = factories[entry.slug]
        built[entry.slug] = factory is not None
        if factory is not None:
            app.mount(f"/{entry.slug}", factory(settings))
    app.include_router(adapters.identity_routes(), prefix="/auth", tags=["identity"])
    page = _landing_page(settings, built)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def landing() -> str:
        return page

    @app.get("/api/systems", tags=["portal"])
    def list_systems() -> list[dict[str, object]]:
        """List the systems this server hosts and whether each is built."""
        return [
            {"slug": e.slug, "name": e.name, "built": built[e.slug], "path": f"/{e.slug}"}
            for e in SYSTEMS
        ]

    return app


__all__ = ["create_portal"]
