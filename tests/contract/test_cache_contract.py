"""Contract of the cache port: every adapter passes the very same assertions."""

from __future__ import annotations

import math
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from foundation.cache import (
    MAX_TTL_SECONDS,
    Cache,
    CacheUnavailableError,
    CacheValueError,
    InvalidCacheKeyError,
    InvalidCacheNamespaceError,
    InvalidCacheTtlError,
    MemoryCache,
    RedisCache,
)

SHORT_TTL = 0.3


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class CacheUnderTest:
    cache: Cache
    let_time_pass: Callable[[float], None]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def subject(request: pytest.FixtureRequest) -> Iterator[CacheUnderTest]:
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "memory":
        clock = FakeClock()
        yield CacheUnderTest(MemoryCache(namespace=namespace, clock=clock), clock.advance)
        return
    redis_url: str = request.getfixturevalue("redis_url")
    cache = RedisCache(redis_url, namespace=namespace)
    try:
        yield CacheUnderTest(cache, time.sleep)
    finally:
        cache.clear_namespace()


@pytest.fixture
def cache(subject: CacheUnderTest) -> Cache:
    return subject.cache


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_in_threads(threads: int, work: Callable[[], object]) -> list[object]:
    results: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        outcome = work()
        with lock:
            results.append(outcome)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


# --- values ---------------------------------------------------------------


def test_bytes_round_trip_exactly(cache: Cache) -> None:
    payload = bytes(range(256))
    cache.set("blob", payload)
    assert cache.get("blob") == payload


def test_str_is_stored_as_utf8_bytes(cache: Cache) -> None:
    cache.set("greeting", "héllo ✓")
    assert cache.get("greeting") == "héllo ✓".encode()


def test_missing_key_reads_as_none(cache: Cache) -> None:
    assert cache.get("never-set") is None
    assert cache.get_json("never-set") is None
    assert not cache.exists("never-set")


def test_json_round_trip_keeps_structure_and_unicode(cache: Cache) -> None:
    document = {"venue": "Zénith", "seats": [1, 2, 3], "sold_out": False, "price": 12.5}
    cache.set_json("doc", document)
    assert cache.get_json("doc") == document


def test_get_json_on_non_json_value_names_the_key(cache: Cache) -> None:
    cache.set("raw", b"\xff not json")
    with pytest.raises(CacheValueError, match="'raw'"):
        cache.get_json("raw")


def test_set_json_rejects_unserializable_value_naming_the_key(cache: Cache) -> None:
    with pytest.raises(TypeError, match="'doc'"):
        cache.set_json("doc", {"when": object()})
    assert cache.get("doc") is None


def test_set_replaces_value_and_previous_expiry(cache: Cache) -> None:
    cache.set("k", "old", ttl_seconds=60)
    cache.set("k", "new")
    assert cache.get("k") == b"new"
    assert cache.ttl("k") is None


def test_delete_reports_whether_the_key_existed(cache: Cache) -> None:
    cache.set("k", "v")
    assert cache.exists("k")
    assert cache.delete("k") is True
    assert not cache.exists("k")
    assert cache.get("k") is None
    assert cache.delete("k") is False


# --- expiry ---------------------------------------------------------------


def test_entries_expire_after_their_ttl(subject: CacheUnderTest) -> None:
    cache = subject.cache
    cache.set("plain", "v", ttl_seconds=SHORT_TTL)
    cache.set_json("json", {"a": 1}, ttl_seconds=SHORT_TTL)
    assert cache.add("lock", "owner-1", ttl_seconds=SHORT_TTL)
    assert cache.incr("window", ttl_seconds=SHORT_TTL) == 1
    cache.set("forever", "v")
    assert cache.exists("plain")

    subject.let_time_pass(SHORT_TTL + 0.05)

    for key in ("plain", "json", "lock", "window"):
        assert cache.get(key) is None, key
        assert not cache.exists(key), key
        assert cache.ttl(key) is None, key
    assert cache.get_json("json") is None
    assert cache.delete("plain") is False
    assert cache.get("forever") == b"v"
    # An expired lock can be taken again and an expired window restarts from 1.
    assert cache.add("lock", "owner-2")
    assert cache.get("lock") == b"owner-2"
    assert cache.incr("window", ttl_seconds=60) == 1
    assert cache.ttl("window") is not None


def test_ttl_reports_remaining_seconds(cache: Cache) -> None:
    cache.set("k", "v", ttl_seconds=60)
    remaining = cache.ttl("k")
    assert remaining is not None
    assert 59 < remaining <= 60


def test_ttl_is_none_for_missing_key_and_key_without_expiry(cache: Cache) -> None:
    cache.set("forever", "v")
    assert cache.ttl("forever") is None
    assert cache.ttl("missing") is None


def test_ten_year_ttl_is_accepted(cache: Cache) -> None:
    cache.set("k", "v", ttl_seconds=MAX_TTL_SECONDS)
    remaining = cache.ttl("k")
    assert remaining is not None
    assert remaining > MAX_TTL_SECONDS - 60


def test_fractional_ttl_is_kept(cache: Cache) -> None:
    cache.set("k", "v", ttl_seconds=90.5)
    remaining = cache.ttl("k")
    assert remaining is not None
    assert 90 < remaining <= 90.5


# --- add ------------------------------------------------------------------


def test_add_stores_only_when_absent(cache: Cache) -> None:
    assert cache.add("lock", "first") is True
    assert cache.add("lock", "second") is False
    assert cache.get("lock") == b"first"
    cache.delete("lock")
    assert cache.add("lock", "third") is True
    assert cache.get("lock") == b"third"


def test_add_has_exactly_one_winner_among_concurrent_callers(cache: Cache) -> None:
    outcomes = _run_in_threads(8, lambda: cache.add("dedupe", str(threading.get_ident())))
    assert outcomes.count(True) == 1
    assert outcomes.count(False) == 7


# --- incr -----------------------------------------------------------------


def test_incr_counts_from_zero_by_any_amount(cache: Cache) -> None:
    assert cache.incr("n") == 1
    assert cache.incr("n", 10) == 11
    assert cache.incr("n", -20) == -9
    assert cache.get("n") == b"-9"


def test_incr_continues_from_a_value_set_as_text(cache: Cache) -> None:
    cache.set("n", "41")
    assert cache.incr("n") == 42


def test_incr_ttl_applies_only_when_the_key_is_created(cache: Cache) -> None:
    assert cache.incr("window", ttl_seconds=60) == 1
    assert cache.incr("window", ttl_seconds=5) == 2
    remaining = cache.ttl("window")
    assert remaining is not None
    assert remaining > 5  # the creating call's 60 s window was kept

    cache.set("counter", "7")
    assert cache.incr("counter", ttl_seconds=5) == 8
    assert cache.ttl("counter") is None


def test_incr_is_atomic_under_concurrent_threads(cache: Cache) -> None:
    def hammer() -> None:
        for _ in range(250):
            cache.incr("hits", ttl_seconds=60)

    _run_in_threads(8, hammer)
    assert cache.get("hits") == b"2000"


@pytest.mark.parametrize("ttl", [None, 60])
@pytest.mark.parametrize("stored", [b"abc", b"1.5", b" 3", b"05", b""])
def test_incr_on_non_integer_value_names_the_key(
    cache: Cache, stored: bytes, ttl: float | None
) -> None:
    cache.set("label", stored)
    with pytest.raises(CacheValueError, match="'label'"):
        cache.incr("label", ttl_seconds=ttl)
    assert cache.get("label") == stored


def test_incr_refuses_to_overflow_64_bits(cache: Cache) -> None:
    cache.set("big", str(2**63 - 1))
    with pytest.raises(CacheValueError, match="'big'"):
        cache.incr("big")
    with pytest.raises(CacheValueError, match="'big'"):
        cache.incr("big", ttl_seconds=60)
    assert cache.get("big") == str(2**63 - 1).encode()


# --- namespaces -------------------------------------------------------------


def test_namespaces_isolate_keys(cache: Cache) -> None:
    other = cache.namespaced(f"{cache.namespace}-other")
    try:
        cache.set("shared-name", "mine")
        other.set("shared-name", "theirs")
        assert cache.get("shared-name") == b"mine"
        assert other.get("shared-name") == b"theirs"
        other.delete("shared-name")
        assert cache.get("shared-name") == b"mine"
    finally:
        other.clear_namespace()


def test_clear_namespace_clears_only_its_own_keys(cache: Cache) -> None:
    other = cache.namespaced(f"{cache.namespace}-other")
    try:
        for i in range(1200):  # more than one SCAN/UNLINK batch
            cache.set(f"key-{i}", "x")
        other.set("key-0", "kept")
        other.incr("counter")

        assert cache.clear_namespace() == 1200

        assert cache.get("key-0") is None
        assert cache.get("key-1199") is None
        assert other.get("key-0") == b"kept"
        assert other.get("counter") == b"1"
        assert cache.clear_namespace() == 0
    finally:
        other.clear_namespace()


def test_key_with_glob_characters_is_an_ordinary_key(cache: Cache) -> None:
    cache.set("a*[b]?", "literal")
    cache.set("a-other", "other")
    assert cache.get("a*[b]?") == b"literal"
    assert cache.delete("a*[b]?")
    assert cache.get("a-other") == b"other"


@pytest.mark.parametrize("namespace", ["has space", "trailing:", ":leading", "a::b", "glob*"])
def test_invalid_namespace_is_rejected_naming_it(cache: Cache, namespace: str) -> None:
    with pytest.raises(InvalidCacheNamespaceError, match=repr(namespace).replace("*", r"\*")):
        cache.namespaced(namespace)


# --- validation -------------------------------------------------------------

BAD_KEYS = {
    "empty": "",
    "space": "has space",
    "tab": "tab\there",
    "newline": "line\nbreak",
    "nul": "nul\x00byte",
    "escape": "esc\x1b[0m",
    "no-break-space": "nbsp\u00a0key",
    "too-long": "k" * 513,
}

OPERATIONS: dict[str, Callable[[Cache, str], object]] = {
    "get": lambda c, k: c.get(k),
    "set": lambda c, k: c.set(k, "v"),
    "add": lambda c, k: c.add(k, "v"),
    "delete": lambda c, k: c.delete(k),
    "exists": lambda c, k: c.exists(k),
    "ttl": lambda c, k: c.ttl(k),
    "incr": lambda c, k: c.incr(k),
    "get_json": lambda c, k: c.get_json(k),
    "set_json": lambda c, k: c.set_json(k, {}),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("bad_key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_invalid_keys_are_rejected_naming_the_key(
    cache: Cache, operation: str, bad_key: str
) -> None:
    with pytest.raises(InvalidCacheKeyError) as caught:
        OPERATIONS[operation](cache, bad_key)
    shown = repr(bad_key) if len(bad_key) <= 80 else repr(bad_key[:80])[:-1]
    assert shown in str(caught.value)
    assert caught.value.key == bad_key


@pytest.mark.parametrize("bad_key", [None, 42, b"bytes"])
def test_non_string_keys_are_rejected(cache: Cache, bad_key: object) -> None:
    with pytest.raises(InvalidCacheKeyError, match="must be a str"):
        cache.get(bad_key)  # type: ignore[arg-type]


def test_longest_and_unicode_keys_are_accepted(cache: Cache) -> None:
    longest = "k" * 512
    cache.set(longest, "v")
    cache.set("café:ünïcode/ключ", "v")
    assert cache.get(longest) == b"v"
    assert cache.get("café:ünïcode/ключ") == b"v"


@pytest.mark.parametrize("bad_ttl", [0, -1, math.nan, math.inf, 1e12, True, "10"])
@pytest.mark.parametrize("operation", ["set", "add", "incr", "set_json"])
def test_invalid_ttls_are_rejected_naming_the_key(
    cache: Cache, operation: str, bad_ttl: object
) -> None:
    calls: dict[str, Callable[[], object]] = {
        "set": lambda: cache.set("session", "v", ttl_seconds=bad_ttl),  # type: ignore[arg-type]
        "add": lambda: cache.add("session", "v", ttl_seconds=bad_ttl),  # type: ignore[arg-type]
        "incr": lambda: cache.incr("session", ttl_seconds=bad_ttl),  # type: ignore[arg-type]
        "set_json": lambda: cache.set_json("session", 1, ttl_seconds=bad_ttl),  # type: ignore[arg-type]
    }
    with pytest.raises(InvalidCacheTtlError, match="'session'") as caught:
        calls[operation]()
    assert "ttl_seconds" in str(caught.value)
    assert not cache.exists("session")


def test_non_bytes_value_is_rejected_naming_the_key(cache: Cache) -> None:
    with pytest.raises(TypeError, match="'k'"):
        cache.set("k", 12)  # type: ignore[arg-type]


# --- health -----------------------------------------------------------------


def test_check_reports_healthy_backend(cache: Cache) -> None:
    status = cache.check()
    assert status.ok, status.detail
    assert status.backend == cache.backend


# --- adapter-specific -------------------------------------------------------


def test_memory_evicts_least_recently_used_past_max_entries() -> None:
    cache = MemoryCache(max_entries=3)
    cache.set("a", "1")
    cache.set("b", "2")
    cache.set("c", "3")
    assert cache.get("a") == b"1"  # "a" is now the most recently used
    cache.set("d", "4")
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == [b"1", b"3", b"4"]


def test_memory_namespaced_views_share_one_capacity() -> None:
    cache = MemoryCache(namespace="one", max_entries=2)
    other = cache.namespaced("two")
    cache.set("a", "1")
    other.set("b", "2")
    other.set("c", "3")
    assert cache.get("a") is None
    assert other.get("b") == b"2"


def test_memory_sweep_drops_expired_entries_without_access() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock, max_entries=100_000)
    for i in range(3000):
        cache.set(f"old-{i}", "x", ttl_seconds=1)
    clock.advance(2)
    for i in range(3000):
        cache.set(f"new-{i}", "x")
    assert "3000 of" in cache.check().detail


def test_memory_rejects_non_positive_max_entries() -> None:
    with pytest.raises(Exception, match="max_entries"):
        MemoryCache(max_entries=0)


def test_unreachable_redis_raises_cache_unavailable_with_redacted_url() -> None:
    port = _closed_port()
    cache = RedisCache(f"redis://:hunter2@127.0.0.1:{port}/0", timeout_seconds=0.5)
    with pytest.raises(CacheUnavailableError) as caught:
        cache.get("k")
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "unavailable" in message
    assert "'k'" in message
    assert "hunter2" not in message
    assert caught.value.status == 503


def test_unreachable_redis_fails_health_check() -> None:
    cache = RedisCache(f"redis://127.0.0.1:{_closed_port()}/0", timeout_seconds=0.5)
    status = cache.check()
    assert not status.ok
    assert "CacheUnavailableError" in status.detail
