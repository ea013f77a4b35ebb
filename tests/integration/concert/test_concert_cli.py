"""The operator commands, step by step, on a tiny generated data set."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyline.cli import app as cli


def test_operator_commands_generate_ingest_build_check_and_summarise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKYLINE_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    files = tmp_path / "files"

    generated = runner.invoke(
        cli, ["concert", "generate", "--preset", "tiny", "--files", str(files)]
    )
    assert generated.exit_code == 0, generated.output
    assert "ticket_sales" in generated.output

    for entity in ("artists", "venues", "concerts", "ticket_sales"):
        ingested = runner.invoke(
            cli, ["concert", "ingest", str(files / f"{entity}.csv"), "--entity", entity]
        )
        assert ingested.exit_code == 0, ingested.output
        assert "0 rejected" in ingested.output

    built = runner.invoke(cli, ["concert", "build"])
    assert built.exit_code == 0, built.output
    assert "built 1" in built.output  # "built 15 models" (or more)

    checked = runner.invoke(cli, ["concert", "quality"])
    assert checked.exit_code == 0, checked.output
    assert "ticket_sales" in checked.output

    summary = runner.invoke(cli, ["concert", "summary"])
    assert summary.exit_code == 0, summary.output
    assert "fact_ticket_sales" in summary.output


def test_ingest_of_a_file_with_a_wrong_column_fails_with_the_column_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKYLINE_DATA_DIR", str(tmp_path / "data"))
    bad = tmp_path / "venues.csv"
    bad.write_text("venue_id,title\nv1,Blue Room\n")
    result = CliRunner().invoke(cli, ["concert", "ingest", str(bad), "--entity", "venues"])
    assert result.exit_code == 1
    assert "title" in result.output
