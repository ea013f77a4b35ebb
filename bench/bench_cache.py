"""Cache port throughput against plain baselines measured in the same run.

MemoryCache is compared with a bare dict doing the same sets and gets; RedisCache
with raw redis-py GET/SET round trips to the same throwaway ``redis-server``
(skipped with a note when the binary is missing). Run alone with
``uv run python -m bench.bench_cache [--quick]``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from bench.harness import Measurement, Section, best_of
from foundation.cache import Cache, MemoryCache, RedisCache

VALUE = b"x" * 64
REPEATS = 3


def _set_then_get(cache_factory: Callable[[], Cache], keys: list[str], **set_args: float) -> None:
    cache = cache_factory()
    for key in keys:
        cache.set(key, VALUE, **set_args)
    for key in keys:
        cache.get(key)


def _dict_set_then_get(keys: list[str]) -> None:
    store: dict[str, bytes] = {}
    for key in keys:
        store[key] = VALUE
    for key in keys:
        store.get(key)


def _overhead(candidate: Measurement, baseline: Measurement) -> str:
    per_op = (candidate.seconds / candidate.operations) * 1e6
    base_per_op = (baseline.seconds / baseline.operations) * 1e6
    return (
        f"{candidate.name} runs at {baseline.rate / candidate.rate:.1f}x the time of "
        f"{baseline.name} ({per_op:.2f} µs vs {base_per_op:.2f} µs per operation)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _redis_server(binary: str) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, stopped by its PID."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as workdir:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("redis-server did not start within 10 s") from None
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _bench_memory(section: Section, operations: int) -> None:
    keys = [f"key-{i}" for i in range(operations // 2)]
    note = f"{len(keys):,} sets then {len(keys):,} gets, 64-byte values"
    baseline = section.add(
        best_of(REPEATS, "dict (baseline)", operations, lambda: _dict_set_then_get(keys), note)
    )

    def memory_cache() -> Cache:
        return MemoryCache(max_entries=len(keys))

    plain = section.add(
        best_of(REPEATS, "MemoryCache", operations, lambda: _set_then_get(memory_cache, keys), note)
    )
    with_ttl = section.add(
        best_of(
            REPEATS,
            "MemoryCache, ttl_seconds=60",
            operations,
            lambda: _set_then_get(memory_cache, keys, ttl_seconds=60),
            note,
        )
    )
    section.findings.append(
        _overhead(plain, baseline) + ": key validation, the lock, the clock and LRU order."
    )
    section.findings.append(_overhead(with_ttl, baseline) + ".")


def _bench_redis(section: Section, operations: int) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        section.findings.append(
            "Redis rows skipped: no redis-server binary on this machine "
            "(apt-get install redis-server)."
        )
        return
    keys = [f"key-{i}" for i in range(operations // 2)]
    note = f"{len(keys):,} SETs then {len(keys):,} GETs, one round trip each, loopback"
    with _redis_server(binary) as url:
        raw = redis.Redis.from_url(url)
        cache = RedisCache(url, namespace="bench")

        def raw_round_trips() -> None:
            for key in keys:
                raw.set(f"bench:{key}", VALUE)
            for key in keys:
                raw.get(f"bench:{key}")

        baseline = section.add(
            best_of(REPEATS, "raw redis-py GET/SET (baseline)", operations, raw_round_trips, note)
        )
        adapter = section.add(
            best_of(
                REPEATS,
                "RedisCache",
                operations,
                lambda: _set_then_get(lambda: cache, keys),
                note,
            )
        )
        raw.close()
    section.findings.append(
        _overhead(adapter, baseline)
        + ": the network round trip dominates; the adapter adds key validation and error mapping."
    )


def run(quick: bool) -> Section:
    section = Section(
        title="Cache",
        description=(
            "Set-then-get throughput of the cache adapters against a plain baseline doing the "
            "same operations on the same keys in the same run (best of 3)."
        ),
    )
    _bench_memory(section, 5_000 if quick else 200_000)
    _bench_redis(section, 500 if quick else 10_000)
    return section


if __name__ == "__main__":
    sys.stdout.write(run(quick="--quick" in sys.argv).to_markdown())
