"""The Digital Twin Chat page in a real browser against the full local portal: streamed
replies, the session kept across a reload, clearing a conversation, input limits, and
how the page shows errors. Locators go by role and label, so they check the markup too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route, expect

pytestmark = pytest.mark.browser

SESSION_KEY = "twin-chat-session"
ANSWERABLE = "What do you do for work?"
UNANSWERABLE = ("What is your blood type?", "And which football club do you support?")

# Counts pieces of text appended to reply bubbles (the final swap-in replaces, so it is not one).
WATCH_STREAMING = """() => {
  window.appends = 0;
  new MutationObserver((records) => {
    for (const record of records) {
      const inReply = record.target.closest?.(".message-assistant .message-text");
      if (inReply && record.removedNodes.length === 0 && record.addedNodes.length > 0) {
        window.appends += 1;
      }
    }
  }).observe(document.querySelector("[role=log]"), { childList: true, subtree: true });
}"""


@pytest.fixture
def twin_url(portal_url: str) -> str:
    return f"{portal_url}/twin/"


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def log(page: Page) -> Locator:
    return page.get_by_role("log")


def messages(page: Page) -> list[tuple[str, str]]:
    items = log(page).locator(".message")
    return [
        (item.get_attribute("data-role") or "", item.locator(".message-text").inner_text())
        for item in items.all()
    ]


def ask(page: Page, text: str) -> str:
    """Type a message, send it with Enter and wait for the whole reply; returns its text."""
    count = log(page).locator(".message").count() + 2
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")
    return finished_reply(page, count)


def finished_reply(page: Page, count: int) -> str:
    """Wait until the conversation holds ``count`` messages and the last reply is complete."""
    expect(log(page).locator(".message")).to_have_count(count)
    reply = log(page).locator(".message-assistant").last
    expect(reply).not_to_have_class(re.compile("streaming"))
    expect(page.get_by_role("button", name="Clear conversation")).to_be_enabled()
    expect(page.get_by_role("alert")).to_have_text("")
    return reply.locator(".message-text").inner_text()


def session_id(page: Page) -> str | None:
    value: str | None = page.evaluate(f"localStorage.getItem('{SESSION_KEY}')")
    return value


def test_conversation_streams_survives_a_reload_and_can_be_cleared(
    browser_page: Page, twin_url: str, tmp_path: Path
) -> None:
    page = browser_page
    persona = page.request.get(f"{twin_url}api/persona").json()
    open_chat(page, twin_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(persona["name"])
    expect(page.locator("#twin-headline")).to_have_text(persona["headline"])
    badge = page.get_by_text("Offline mode")
    if persona["offline"]:
        expect(badge).to_be_visible()
    else:
        expect(badge).to_be_hidden()
    expect(page.get_by_role("button", name="Clear conversation")).to_be_disabled()

    page.evaluate(WATCH_STREAMING)
    first = ask(page, ANSWERABLE)
    assert page.evaluate("window.appends") > 1, "the reply must show token by token"
    expect(page.get_by_label("Your message")).to_be_focused()
    first_session = session_id(page)
    assert first_session

    # Shift+Enter is a new line, not a send; the button sends.
    box = page.get_by_label("Your message")
    box.fill(UNANSWERABLE[0])
    box.press("Shift+Enter")
    box.press_sequentially(UNANSWERABLE[1])
    expect(log(page).locator(".message")).to_have_count(2)
    page.get_by_role("button", name="Send").click()
    second = finished_reply(page, 4)
    # The sample persona answers from what it knows and admits what it does not.
    assert "Tidewright Labs" in first and "don't know" not in first
    assert "don't know" in second
    assert session_id(page) == first_session

    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    assert messages(page) == [
        ("user", ANSWERABLE),
        ("assistant", first),
        ("user", "\n".join(UNANSWERABLE)),
        ("assistant", second),
    ]
    page.screenshot(path=tmp_path / "twin-chat.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Clear conversation").click()
    expect(log(page).locator(".message")).to_have_count(4)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clear conversation").click()
    expect(log(page).locator(".message")).to_have_count(0)
    expect(page.get_by_text("to start the conversation")).to_be_visible()
    assert session_id(page) is None
    history = page.request.get(f"{twin_url}api/chat/history/{first_session}")
    assert history.status == 404

    ask(page, ANSWERABLE)
    assert session_id(page) not in {None, first_session}


def test_empty_message_cannot_be_sent_and_an_oversized_one_shows_the_limit(
    browser_page: Page, twin_url: str
) -> None:
    page = browser_page
    open_chat(page, twin_url)
    chat_requests: list[str] = []
    page.on("request", lambda request: chat_requests.append(request.url))
    box = page.get_by_label("Your message")
    send = page.get_by_role("button", name="Send")

    expect(send).to_be_disabled()
    box.fill("  \n  ")
    expect(send).to_be_disabled()
    box.press("Enter")

    box.fill("x" * 4001)
    expect(page.locator("#counter")).to_have_text("4001 / 4000 (too long)")
    send.click()
    expect(page.get_by_role("alert")).to_contain_text("the limit is 4000")
    expect(box).to_have_value("x" * 4001)
    expect(log(page).locator(".message")).to_have_count(0)
    assert not [url for url in chat_requests if "/api/chat" in url]

    box.fill("y" * 4000)
    expect(page.locator("#counter")).to_have_text("4000 / 4000")
    expect(send).to_be_enabled()

    # The page's limit is the server's: one more character is refused there too.
    refused = page.request.post(f"{twin_url}api/chat", data={"message": "x" * 4001})
    assert refused.status == 422
    assert "message" in refused.json()["detail"]


def test_send_and_clear_are_disabled_while_a_reply_is_pending(
    browser_page: Page, twin_url: str
) -> None:
    page = browser_page
    held: list[Route] = []

    def hold(route: Route) -> None:  # answered later, once the busy state is checked
        held.append(route)

    page.route("**/api/chat/stream", hold)
    open_chat(page, twin_url)
    box = page.get_by_label("Your message")
    box.fill(ANSWERABLE)
    box.press("Enter")
    expect(log(page)).to_have_attribute("aria-busy", "true")
    box.fill("A follow-up typed while waiting")
    box.press("Enter")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    expect(page.get_by_role("button", name="Clear conversation")).to_be_disabled()
    assert len(held) == 1
    held[0].continue_()
    expect(log(page)).to_have_attribute("aria-busy", "false")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(log(page).locator(".message")).to_have_count(2)
    expect(box).to_have_value("A follow-up typed while waiting")


def test_rate_limit_shows_retry_after_and_gives_the_message_back(
    browser_page: Page, twin_url: str
) -> None:
    page = browser_page
    problem = {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Too many messages at once.",
    }
    page.route(
        "**/api/chat/stream",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "7", "Content-Type": "application/problem+json"},
            body=json.dumps(problem),
        ),
    )
    open_chat(page, twin_url)
    page.get_by_label("Your message").fill("Hello?")
    page.get_by_label("Your message").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Too many messages at once. Try again in 7 s.")
    expect(page.get_by_label("Your message")).to_have_value("Hello?")
    expect(log(page).locator(".message")).to_have_count(0)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()


def test_error_event_mid_stream_keeps_the_partial_reply_and_shows_the_problem(
    browser_page: Page, twin_url: str
) -> None:
    page = browser_page
    session = "0f0e0d0c-aaaa-bbbb-cccc-123456789abc"
    frames = [
        ("session", {"session_id": session}),
        ("token", {"text": "I was about to say"}),
        (
            "error",
            {
                "status": 503,
                "title": "Service Unavailable",
                "detail": "The model did not answer in time.",
                "retry_after": 5,
            },
        ),
    ]
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in frames)
    page.route(
        "**/api/chat/stream",
        lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body),
    )
    open_chat(page, twin_url)
    page.get_by_label("Your message").fill("Tell me everything.")
    page.get_by_label("Your message").press("Enter")
    expect(page.get_by_role("alert")).to_have_text(
        "The model did not answer in time. Try again in 5 s."
    )
    reply = log(page).locator(".message-assistant .message-text")
    expect(reply).to_have_text("I was about to say (reply interrupted)")
    assert session_id(page) == session


def test_page_falls_back_to_plain_chat_when_the_stream_route_is_missing(
    browser_page: Page, twin_url: str
) -> None:
    page = browser_page
    page.route("**/api/chat/stream", lambda route: route.fulfill(status=404, body=""))
    open_chat(page, twin_url)
    reply = ask(page, ANSWERABLE)
    assert reply.strip()
    history = page.request.get(f"{twin_url}api/chat/history/{session_id(page)}").json()
    assert [m["content"] for m in history["messages"]] == [ANSWERABLE, reply]


def test_sse_parser_reassembles_frames_split_at_any_byte(browser_page: Page, twin_url: str) -> None:
    page = browser_page
    open_chat(page, twin_url)
    body = (
        'event: session\r\ndata: {"session_id":"abc"}\r\n\r\n'
        ": keep-alive\n\n"
        'event: token\ndata: {"text":"café ☃ 🎉"}\n\n'
        "event: token\rdata:line one\rdata: line two\r\r"
        "data: default type\n\n"
        'event: done\ndata: {"unfinished": true}'
    )
    outcomes = page.evaluate(
        """async (body) => {
          const { createSseParser } = await import("./app.js");
          const bytes = new TextEncoder().encode(body);
          const outcomes = new Set();
          for (let size = 1; size <= bytes.length; size++) {
            const events = [];
            const parser = createSseParser((type, data) => events.push([type, data]));
            for (let at = 0; at < bytes.length; at += size) parser.push(bytes.slice(at, at + size));
            parser.end();
            outcomes.add(JSON.stringify(events));
          }
          return [...outcomes].map((outcome) => JSON.parse(outcome));
        }""",
        body,
    )
    assert outcomes == [
        [
            ["session", '{"session_id":"abc"}'],
            ["token", '{"text":"café ☃ 🎉"}'],
            ["token", "line one\nline two"],
            ["message", "default type"],
        ]
    ]


def test_page_fits_a_360_px_screen_and_wraps_long_words(browser_page: Page, twin_url: str) -> None:
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 640})
    open_chat(page, twin_url)
    ask(page, "a" * 300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.get_by_role("button", name="Clear conversation")).to_be_in_viewport()


def test_config_api_base_sends_api_calls_to_another_origin(
    browser_page: Page, twin_url: str
) -> None:
    page = browser_page
    api_calls: list[str] = []

    def fake_api(route: Route) -> None:
        api_calls.append(route.request.url)
        route.fulfill(json={"name": "Remote Twin", "headline": "Served by AWS", "offline": False})

    page.route(
        "**/twin/config.js",
        lambda route: route.fulfill(
            content_type="text/javascript",
            body='window.TWIN_CONFIG = { apiBase: "https://api.example.test/prod/" };',
        ),
    )
    page.route("https://api.example.test/**", fake_api)
    open_chat(page, twin_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Remote Twin")
    expect(page.get_by_text("Offline mode")).to_be_hidden()
    assert api_calls == ["https://api.example.test/prod/api/persona"]
