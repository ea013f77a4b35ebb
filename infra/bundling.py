"""Build the twin's Lambda bundle without docker: our sources plus Linux ARM64 wheels.

The bundle is a directory ``lambda_.Code.from_asset`` zips: ``foundation/`` and
``twin_chat/`` copied from ``src/`` (nothing else of it), and, for a deployable
bundle, the runtime requirements installed by ``uv pip install --target`` for
CPython 3.12 on ``aarch64-manylinux2014`` from binary wheels only. Versions are
constrained to ``uv.lock``, so Lambda runs the versions the tests ran.

A source-only bundle (``with_dependencies=False``) needs no network: synth and
the tests use it; it cannot serve requests.

    uv run python -m infra.bundling build/lambda/twin-chat            # deployable
    uv run python -m infra.bundling build/lambda/twin-chat --source-only
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOT = REPO_ROOT / "src"
SOURCE_PACKAGES = ("foundation", "twin_chat")
LAMBDA_PLATFORM = "aarch64-manylinux2014"
LAMBDA_PYTHON = "3.12"
# Lambda's limit on a function's unzipped code (and layers).
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024

# What the twin imports at run time in Lambda (a test imports the handler from a bundle
# holding nothing else, so a missing entry fails there rather than in Lambda).
# boto3 is in the Lambda runtime too, but that copy lags and may predate what the twin uses
# (S3 conditional writes with If-Match, Bedrock ConverseStream): the bundle carries the
# locked version the contract tests ran against.
TWIN_REQUIREMENTS = (
    "fastapi",
    "pydantic",
    "pydantic-settings",
    "mangum",
    "aws-lambda-powertools",
    "aws-xray-sdk",
    "httpx",
    "pypdf",
    "boto3",
)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache")


class BundleError(RuntimeError):
    """The bundle could not be built (missing source package, uv failure)."""


def build_bundle(
    target: Path,
    *,
    with_dependencies: bool,
    source_root: Path = SOURCE_ROOT,
    python_platform: str = LAMBDA_PLATFORM,
    python_version: str = LAMBDA_PYTHON,
) -> Path:
    """Replace ``target`` with a fresh bundle and return it.

    ``python_platform`` / ``python_version`` select the wheels (uv's names); the
    defaults are the Lambda function's, other values serve tests on this machine.
    """
    missing = [name for name in SOURCE_PACKAGES if not (source_root / name).is_dir()]
    if missing:
        raise BundleError(f"source package(s) {', '.join(missing)} not found under {source_root}")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in SOURCE_PACKAGES:
        shutil.copytree(source_root / name, target / name, ignore=_IGNORED)
    if with_dependencies:
        install_dependencies(target, python_platform=python_platform, python_version=python_version)
    return target


def install_dependencies(target: Path, *, python_platform: str, python_version: str) -> None:
    """``uv pip install --target`` the binary wheels of ``TWIN_REQUIREMENTS``, locked versions."""
    uv = _uv()
    with tempfile.TemporaryDirectory(prefix="twin-bundle-") as scratch:
        constraints = Path(scratch) / "constraints.txt"
        _run(
            [
                uv,
                "export",
                "--frozen",
                "--all-extras",
                "--no-hashes",
                "--no-emit-project",
                "--format",
                "requirements-txt",
                "--project",
                str(REPO_ROOT),
                "--output-file",
                str(constraints),
            ]
        )
        _run(
            [
                uv,
                "pip",
                "install",
                "--target",
                str(target),
                "--python-platform",
                python_platform,
                "--python-version",
                python_version,
                "--only-binary",
                ":all:",
                "--constraints",
                str(constraints),
                "--link-mode",
                "copy",
                *TWIN_REQUIREMENTS,
            ]
        )


def bundle_size(target: Path) -> int:
    """Unzipped size in bytes (what Lambda's 250 MB limit counts)."""
    return sum(path.stat().st_size for path in target.rglob("*") if path.is_file())


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        home_uv = Path.home() / ".local" / "bin" / "uv"
        if not home_uv.is_file():
            raise BundleError("uv is not installed (python3 -m pip install --user uv)")
        uv = str(home_uv)
    return uv


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BundleError(
            f"{' '.join(command[:3])} failed ({result.returncode}): {result.stderr.strip()}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Digital Twin Chat Lambda bundle.")
    parser.add_argument("target", type=Path, help="directory to (re)create")
    parser.add_argument(
        "--source-only", action="store_true", help="skip dependencies (synth only, no network)"
    )
    args = parser.parse_args(argv)
    try:
        target = build_bundle(args.target, with_dependencies=not args.source_only)
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    size = bundle_size(target)
    print(f"bundle: {target} ({size / 1024 / 1024:.1f} MB unzipped)")
    if size > LAMBDA_UNZIPPED_LIMIT_BYTES:
        print("bundle: larger than Lambda's 250 MB unzipped limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
