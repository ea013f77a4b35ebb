"""Skyline's local server and operator command line.

``skyline serve`` hosts every built system behind one landing page;
``skyline doctor`` reports which adapter serves each port and whether it is
reachable; ``skyline prepare`` makes the demo data the local run needs.
"""

__all__: list[str] = []
