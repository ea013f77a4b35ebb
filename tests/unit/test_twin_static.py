"""Static checks of the twin's front end that need no browser: it must work under any
path prefix (/twin/ locally, the CDN root on AWS), and never render text as HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

STATIC = Path(__file__).parents[2] / "src" / "twin_chat" / "web" / "static"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def find(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and all(attrs.get(key) == value for key, value in wanted.items())
        ]


@pytest.fixture(scope="module")
def page() -> _Page:
    parser = _Page()
    parser.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    return parser


def test_every_asset_is_shipped_and_linked_relative_to_the_page(page: _Page) -> None:
    assets = [attrs["src"] for attrs in page.find("script")]
    assets += [attrs["href"] for attrs in page.find("link")]
    assert assets, "index.html links no assets"
    for asset in assets:
        assert not re.match(r"^(/|[a-z]+:)", asset), f"{asset} must be relative to the page"
        assert (STATIC / asset).is_file(), f"{asset} is linked but not shipped"


def test_config_loads_before_the_app_module_and_sets_nothing(page: _Page) -> None:
    scripts = page.find("script")
    assert [attrs["src"] for attrs in scripts] == ["config.js", "app.js"]
    assert scripts[1].get("type") == "module"
    code = [
        line
        for line in (STATIC / "config.js").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("//")
    ]
    assert code == [], "the shipped config.js must leave TWIN_CONFIG unset"


def test_app_never_renders_text_as_html() -> None:
    source = (STATIC / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, f"app.js uses {sink}"


def test_markup_has_landmarks_live_regions_and_labels(page: _Page) -> None:
    assert page.find("html", lang="en")
    assert page.find("header") and page.find("main")
    assert page.find("div", role="log", **{"aria-live": "polite"})
    assert page.find("div", role="alert")
    (textarea,) = page.find("textarea")
    assert page.find("label", **{"for": textarea["id"]}), "the message box needs a label"
    for described_by in textarea["aria-describedby"].split():
        assert any(attrs.get("id") == described_by for _, attrs in page.elements), described_by


def test_styles_keep_newlines_and_support_dark_mode() -> None:
    css = (STATIC / "styles.css").read_text(encoding="utf-8")
    assert re.search(r"\.message-text\s*{[^}]*white-space:\s*pre-wrap", css)
    assert "@media (prefers-color-scheme: dark)" in css
