"""Data quality for the Concert Data Platform: declarative rules, scores and a duplicate report.

Rules per entity (completeness, validity, uniqueness, referential integrity,
freshness and business rules) are declared as data in :mod:`.catalog`, most of
them derived from the pydantic models. :func:`run_quality_checks` runs each
rule as one SQL query over the loaded ``raw_<entity>`` tables (DuckDB locally,
Redshift on AWS), scores every table and batch 0-100 (:mod:`.scores`), builds
the duplicate report (exact duplicates in SQL, fuzzy name matches in Python:
:mod:`.matching`) and stores it all in warehouse tables that
:func:`latest_quality`, :func:`quality_history`, :func:`quality_scores` and
:func:`latest_duplicates` read back.
"""

from concert.quality.catalog import CATALOG, NAME_MATCHES, catalog_rules
from concert.quality.duplicates import (
    DuplicateGroup,
    DuplicateKind,
    DuplicateReason,
    find_duplicates,
)
from concert.quality.engine import Progress, check_rules, run_quality_checks
from concert.quality.exceptions import (
    InvalidQualityRequestError,
    NoQualityRunError,
    QualityError,
    RuleDefinitionError,
)
from concert.quality.matching import NameMatch, normalise_name
from concert.quality.results import QualityRun, QualityScore, RuleResult, SkippedRule
from concert.quality.rules import (
    AcceptedValues,
    BusinessRule,
    Completeness,
    Expression,
    Freshness,
    Lookup,
    Pattern,
    Range,
    ReferentialIntegrity,
    Rule,
    Severity,
    Uniqueness,
)
from concert.quality.scores import SEVERITY_WEIGHTS, score
from concert.quality.store import (
    DuplicateReport,
    latest_duplicates,
    latest_quality,
    quality_history,
    quality_scores,
    save_run,
)

__all__ = [
    "CATALOG",
    "NAME_MATCHES",
    "SEVERITY_WEIGHTS",
    "AcceptedValues",
    "BusinessRule",
    "Completeness",
    "DuplicateGroup",
    "DuplicateKind",
    "DuplicateReason",
    "DuplicateReport",
    "Expression",
    "Freshness",
    "InvalidQualityRequestError",
    "Lookup",
    "NameMatch",
    "NoQualityRunError",
    "Pattern",
    "Progress",
    "QualityError",
    "QualityRun",
    "QualityScore",
    "Range",
    "ReferentialIntegrity",
    "Rule",
    "RuleDefinitionError",
    "RuleResult",
    "Severity",
    "SkippedRule",
    "Uniqueness",
    "catalog_rules",
    "check_rules",
    "find_duplicates",
    "latest_duplicates",
    "latest_quality",
    "normalise_name",
    "quality_history",
    "quality_scores",
    "run_quality_checks",
    "save_run",
    "score",
]
