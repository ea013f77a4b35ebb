"""Request metrics: EMF lines when enabled, nothing (and no stale dimensions) when disabled."""

from __future__ import annotations

import json
import warnings

import pytest

from foundation.observability import record_request_metrics


def _emf_lines(output: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" in line]


def test_each_request_prints_one_metric_line_with_its_dimensions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    record_request_metrics("svc", "/a", 200, 3.5)
    record_request_metrics("svc", "/b", 503, 9.0)
    first, second = _emf_lines(capsys.readouterr().out)
    assert (first["route"], first["status_class"], first["Requests"]) == ("/a", "2xx", [1.0])
    assert (second["route"], second["status_class"], second["ServerErrors"]) == ("/b", "5xx", [1.0])


def test_disabled_metrics_print_nothing_and_warn_about_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a kept dimension would warn on the second request
        record_request_metrics("svc", "/a", 200, 1.0)
        record_request_metrics("svc", "/b", 404, 1.0)
    assert _emf_lines(capsys.readouterr().out) == []
