"""End-to-end flows the operator runs: the demo flow and its steps.

Each step is the real code path (the upload ingestion, the warehouse loader,
the SQL models, the quality engine); this package only orders them.
"""

from concert.pipeline.demo import DemoReport, run_demo

__all__ = ["DemoReport", "run_demo"]
