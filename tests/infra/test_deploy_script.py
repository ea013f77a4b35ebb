"""infra/deploy_twin_chat.sh: argument handling, and its steps against stand-in tools.

No AWS account here: the post-deployment steps run against stand-ins for ``aws``,
``uv``, ``npm`` and the CDK CLI that record their arguments and answer the stack
outputs, so the test sees what the script would do, in order.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from infra.bundling import REPO_ROOT

SCRIPT = REPO_ROOT / "infra" / "deploy_twin_chat.sh"
STATIC = REPO_ROOT / "src" / "twin_chat" / "web" / "static"
API = "https://abc123.execute-api.us-east-1.amazonaws.com"

FAKE_AWS = r"""#!/usr/bin/env bash
echo "aws $*" >>"$DEPLOY_LOG"
args="$*"
case "$1 $2" in
  "sts get-caller-identity") echo 210987654321 ;;
  "cloudformation describe-stacks")
    case "$args" in
      *CDKToolkit*) exit "${BOOTSTRAPPED_EXIT:-0}" ;;
      *"'MemoryBucketName'"*) echo memory-bucket ;;
      *"'FrontendBucketName'"*) echo frontend-bucket ;;
      *"'ApiEndpoint'"*) echo "$FAKE_API" ;;
      *"'CloudFrontDomain'"*) echo d111.cloudfront.net ;;
      *"'LambdaFunctionName'"*) echo digital-twin-chat-fn ;;
    esac ;;
  "cloudformation describe-stack-resources") echo E2EXAMPLE ;;
  "s3api head-object") exit "${PERSONA_EXISTS_EXIT:-255}" ;;
  "s3 cp" | "s3 sync")
    source="" destination=""
    for arg in "${@:3}"; do
      if [[ "$arg" == s3://* ]]; then destination="${arg#s3://}"
      elif [[ -e "$arg" ]]; then source="$arg"; fi
    done
    mkdir -p "$UPLOADS/$(dirname "$destination")"
    cp -R "$source" "$UPLOADS/$destination" ;;
esac
"""
RECORDER = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >>"$DEPLOY_LOG"
"""


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        timeout=60,
        check=False,
    )


def test_script_is_valid_bash_with_strict_mode() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    assert "set -euo pipefail" in SCRIPT.read_text(encoding="utf-8")
    assert os.access(SCRIPT, os.X_OK)


def test_help_prints_usage_and_succeeds() -> None:
    result = run_script("--help")
    assert result.returncode == 0
    assert "Usage: infra/deploy_twin_chat.sh <env> [account-id] [region]" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "missing <env>"),
        (("qa",), "unknown env 'qa'"),
        (("prod", "12345"), "account-id must be 12 digits"),
        (("prod", "123456789012", "mars-1"), "region must look like us-east-1"),
        (("dev", "--bogus"), "unknown option: --bogus"),
        (("dev", "--persona-dir"), "--persona-dir needs a directory"),
        (("prod", "123456789012", "us-east-1", "extra"), "too many arguments"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason_and_usage(
    args: tuple[str, ...], message: str
) -> None:
    result = run_script(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Usage:" in result.stderr


def test_persona_dir_without_me_txt_is_refused(tmp_path: Path) -> None:
    result = run_script("dev", "--persona-dir", str(tmp_path))
    assert result.returncode == 2
    assert "no me.txt" in result.stderr


@pytest.fixture
def stand_ins(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"aws": FAKE_AWS, "uv": RECORDER, "npm": RECORDER, "cdk": RECORDER}.items():
        tool = bin_dir / name
        tool.write_text(body)
        tool.chmod(0o755)
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEPLOY_LOG": str(tmp_path / "calls.log"),
        "UPLOADS": str(tmp_path / "uploads"),
        "FAKE_API": API,
        "CDK": str(bin_dir / "cdk"),
    }


def _calls(env: dict[str, str]) -> list[str]:
    return Path(env["DEPLOY_LOG"]).read_text(encoding="utf-8").splitlines()


def test_deploy_builds_deploys_then_publishes_persona_and_front_end(
    stand_ins: dict[str, str],
) -> None:
    config_before = (STATIC / "config.js").read_bytes()
    result = run_script("prod", "123456789012", "us-east-1", env=stand_ins)
    assert result.returncode == 0, result.stderr
    calls = _calls(stand_ins)
    bundle = REPO_ROOT / "build" / "lambda" / "twin-chat"

    def index(prefix: str) -> int:
        return next(i for i, call in enumerate(calls) if call.startswith(prefix))

    order = [
        index(f"uv run --extra infra python -m infra.bundling {bundle}"),
        index(
            "cdk deploy digital-twin-chat-prod -c env=prod -c account=123456789012 "
            f"-c region=us-east-1 -c twinBundle={bundle} --require-approval broadening"
        ),
        index("aws s3 cp --region us-east-1 "),
        index("aws s3 sync --region us-east-1 "),
        index("aws cloudfront create-invalidation --distribution-id E2EXAMPLE --paths /*"),
    ]
    assert order == sorted(order)
    assert not any(call.startswith(("cdk bootstrap", "npm", "aws sts")) for call in calls)

    uploads = Path(stand_ins["UPLOADS"])
    persona = REPO_ROOT / "src" / "twin_chat" / "persona" / "sample"
    for name in ("me.txt", "style.md"):
        assert (uploads / "memory-bucket" / name).read_bytes() == (persona / name).read_bytes()
    frontend = uploads / "frontend-bucket"
    assert (frontend / "config.js").read_text() == f'window.TWIN_CONFIG = {{ apiBase: "{API}" }};\n'
    assert (frontend / "index.html").read_bytes() == (STATIC / "index.html").read_bytes()
    assert (frontend / "app.js").is_file()
    assert not (frontend / ".gitkeep").exists()
    no_cache = [c for c in calls if "--cache-control no-cache, no-store, must-revalidate" in c]
    targets = [next(t for t in c.split() if t.startswith("s3://")) for c in no_cache]
    assert targets == ["s3://frontend-bucket/index.html", "s3://frontend-bucket/config.js"]
    assert (STATIC / "config.js").read_bytes() == config_before  # the repository is untouched

    assert "https://d111.cloudfront.net/" in result.stdout
    assert "--secret-id digital-twin-chat/prod/llm-api-key" in result.stdout


def test_dev_deploy_finds_the_account_bootstraps_and_skips_approval(
    stand_ins: dict[str, str],
) -> None:
    env = {
        **stand_ins,
        "BOOTSTRAPPED_EXIT": "255",
        "PERSONA_EXISTS_EXIT": "0",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    result = run_script("development", env=env)
    assert result.returncode == 0, result.stderr
    calls = _calls(env)
    assert "aws sts get-caller-identity --query Account --output text" in calls
    assert "cdk bootstrap aws://210987654321/eu-west-1 -c env=dev" in " ".join(calls)
    deploy = next(call for call in calls if call.startswith("cdk deploy"))
    assert deploy.startswith("cdk deploy digital-twin-chat-dev -c env=dev -c account=210987654321")
    assert deploy.endswith("--require-approval never")
    assert not (Path(env["UPLOADS"]) / "memory-bucket").exists()  # its persona is kept


def test_a_given_persona_dir_replaces_the_bucket_persona(
    stand_ins: dict[str, str], tmp_path: Path
) -> None:
    persona = tmp_path / "persona"
    persona.mkdir()
    (persona / "me.txt").write_text("I am Ada.\n")
    (persona / "linkedin.pdf").write_bytes(b"%PDF-1.4\n")
    (persona / "notes.txt").write_text("not a persona key\n")
    env = {**stand_ins, "PERSONA_EXISTS_EXIT": "0"}
    result = run_script("staging", "123456789012", "--persona-dir", str(persona), env=env)
    assert result.returncode == 0, result.stderr
    uploaded = Path(env["UPLOADS"]) / "memory-bucket"
    assert sorted(path.name for path in uploaded.iterdir()) == ["linkedin.pdf", "me.txt"]
    assert (uploaded / "me.txt").read_text() == "I am Ada.\n"
