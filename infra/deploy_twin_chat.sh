#!/usr/bin/env bash
# Deploy the Digital Twin Chat to AWS, then publish its persona and front end.
#
# Steps: build the Lambda bundle (Linux ARM64 wheels, no docker), bootstrap the
# account/region for CDK if needed, `cdk deploy` the stack, then from the stack
# outputs: upload the persona files to the memory bucket, write config.js with
# the API endpoint, sync the static front end to the frontend bucket, invalidate
# CloudFront, and print how to set the LLM API key.
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly STATIC_DIR="$REPO_ROOT/src/twin_chat/web/static"
readonly BUNDLE_DIR="$REPO_ROOT/build/lambda/twin-chat"
# The persona keys the twin reads (twin_chat.settings.TwinSettings); me.txt is required.
readonly PERSONA_FILES=(me.txt linkedin.pdf style.md)

usage() {
  cat <<'EOF'
Usage: infra/deploy_twin_chat.sh <env> [account-id] [region] [options]

Deploys the stack digital-twin-chat-<env>, then uploads the persona, publishes the
front end (with config.js pointing at the API) and invalidates CloudFront.

Arguments:
  env          dev | staging | prod (development and production also work)
  account-id   12-digit AWS account (default: the account of the current credentials)
  region       AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1)

Options:
  --persona-dir DIR   persona files to upload (replacing the bucket's): me.txt, and
                      optionally linkedin.pdf and style.md. Without it, the sample persona
                      (src/twin_chat/persona/sample) is uploaded only to a bucket with none
  --skip-bundle       reuse build/lambda/twin-chat instead of rebuilding it
  -h, --help          show this help

Environment:
  CDK                 CDK CLI to run (default: infra/node_modules/.bin/cdk, installed
                      from infra/package.json with npm ci on first use)
  REQUIRE_APPROVAL    cdk deploy --require-approval (default: never for dev, else broadening)

Examples:
  infra/deploy_twin_chat.sh dev
  infra/deploy_twin_chat.sh prod 123456789012 us-east-1
EOF
}

fail_usage() {
  echo "deploy: $*" >&2
  echo >&2
  usage >&2
  exit 2
}

log() { printf '\n==> %s\n' "$*"; }

require_tool() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "deploy: $1 is required ($2)" >&2
    exit 1
  }
}

stack_output() {
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

parse_args() {
  ENVIRONMENT=""
  ACCOUNT=""
  REGION=""
  PERSONA_DIR="$REPO_ROOT/src/twin_chat/persona/sample"
  PERSONA_GIVEN=0
  SKIP_BUNDLE=0
  local positional=()
  while (($#)); do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      --persona-dir)
        (($# >= 2)) || fail_usage "--persona-dir needs a directory"
        PERSONA_DIR="$2"
        PERSONA_GIVEN=1
        shift 2
        ;;
      --skip-bundle) SKIP_BUNDLE=1; shift ;;
      -*) fail_usage "unknown option: $1" ;;
      *) positional+=("$1"); shift ;;
    esac
  done
  ((${#positional[@]} >= 1)) || fail_usage "missing <env>"
  ((${#positional[@]} <= 3)) || fail_usage "too many arguments: ${positional[*]}"

  case "${positional[0]}" in
    dev | development) ENVIRONMENT=dev ;;
    staging) ENVIRONMENT=staging ;;
    prod | production) ENVIRONMENT=prod ;;
    *) fail_usage "unknown env '${positional[0]}': use dev, staging or prod" ;;
  esac
  ACCOUNT="${positional[1]:-}"
  if [[ -n "$ACCOUNT" && ! "$ACCOUNT" =~ ^[0-9]{12}$ ]]; then
    fail_usage "account-id must be 12 digits, got '$ACCOUNT'"
  fi
  REGION="${positional[2]:-${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}}"
  if [[ ! "$REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; then
    fail_usage "region must look like us-east-1, got '$REGION'"
  fi
  [[ -f "$PERSONA_DIR/me.txt" ]] || fail_usage "no me.txt in persona dir '$PERSONA_DIR'"
  STACK="digital-twin-chat-$ENVIRONMENT"
}

deploy_stack() {
  if ((SKIP_BUNDLE)); then
    [[ -d "$BUNDLE_DIR/twin_chat" ]] || { echo "deploy: no bundle in $BUNDLE_DIR" >&2; exit 1; }
  else
    log "Building the Lambda bundle (linux/arm64 wheels for Python 3.12)"
    (cd "$REPO_ROOT" && uv run --extra infra python -m infra.bundling "$BUNDLE_DIR")
  fi

  local cdk="${CDK:-$REPO_ROOT/infra/node_modules/.bin/cdk}"
  if [[ ! -x "$cdk" ]]; then
    log "Installing the pinned AWS CDK CLI (infra/package.json)"
    npm ci --prefix "$REPO_ROOT/infra" --no-audit --no-fund
  fi
  local approval="${REQUIRE_APPROVAL:-broadening}"
  if [[ "$ENVIRONMENT" == dev && -z "${REQUIRE_APPROVAL:-}" ]]; then
    approval=never
  fi
  local context=(-c "env=$ENVIRONMENT" -c "account=$ACCOUNT" -c "region=$REGION"
    -c "twinBundle=$BUNDLE_DIR")

  cd "$REPO_ROOT"
  if ! aws cloudformation describe-stacks --region "$REGION" --stack-name CDKToolkit \
    >/dev/null 2>&1; then
    log "Bootstrapping CDK in aws://$ACCOUNT/$REGION"
    "$cdk" bootstrap "aws://$ACCOUNT/$REGION" "${context[@]}"
  fi
  log "Deploying $STACK to aws://$ACCOUNT/$REGION"
  "$cdk" deploy "$STACK" "${context[@]}" --require-approval "$approval"
}

upload_persona() {
  local bucket="$1" name
  if ((!PERSONA_GIVEN)) && aws s3api head-object --region "$REGION" --bucket "$bucket" \
    --key me.txt >/dev/null 2>&1; then
    log "Keeping the persona already in s3://$bucket/ (--persona-dir replaces it)"
    return
  fi
  log "Uploading the persona from $PERSONA_DIR to s3://$bucket/"
  for name in "${PERSONA_FILES[@]}"; do
    if [[ -f "$PERSONA_DIR/$name" ]]; then
      aws s3 cp --region "$REGION" "$PERSONA_DIR/$name" "s3://$bucket/$name"
    fi
  done
}

publish_frontend() {
  local bucket="$1" api_endpoint="$2" staging="$WORK_DIR/static"
  log "Publishing the front end to s3://$bucket/ (API: $api_endpoint)"
  mkdir -p "$staging"
  cp -R "$STATIC_DIR/." "$staging/"
  rm -f "$staging/.gitkeep"
  printf 'window.TWIN_CONFIG = { apiBase: "%s" };\n' "$api_endpoint" >"$staging/config.js"
  # Assets may be cached; the page and its config must be revalidated on every visit.
  aws s3 sync --region "$REGION" "$staging" "s3://$bucket/" --delete \
    --exclude index.html --exclude config.js --cache-control "public, max-age=3600"
  local page
  for page in index.html config.js; do
    aws s3 cp --region "$REGION" "$staging/$page" "s3://$bucket/$page" \
      --cache-control "no-cache, no-store, must-revalidate"
  done
}

invalidate_cdn() {
  local distribution
  distribution="$(aws cloudformation describe-stack-resources --region "$REGION" \
    --stack-name "$STACK" \
    --query "StackResources[?ResourceType=='AWS::CloudFront::Distribution'].PhysicalResourceId" \
    --output text)"
  log "Invalidating CloudFront distribution $distribution"
  aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" >/dev/null
}

main() {
  parse_args "$@"
  require_tool aws "AWS CLI v2, configured with credentials for the target account"
  require_tool uv "https://docs.astral.sh/uv/"
  require_tool npm "Node.js 20+, for the AWS CDK CLI"
  if [[ -z "$ACCOUNT" ]]; then
    ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
  fi
  export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
  WORK_DIR="$(mktemp -d)"
  trap 'rm -rf "$WORK_DIR"' EXIT

  deploy_stack

  local memory_bucket frontend_bucket api_endpoint domain
  memory_bucket="$(stack_output MemoryBucketName)"
  frontend_bucket="$(stack_output FrontendBucketName)"
  api_endpoint="$(stack_output ApiEndpoint)"
  domain="$(stack_output CloudFrontDomain)"

  upload_persona "$memory_bucket"
  publish_frontend "$frontend_bucket" "$api_endpoint"
  invalidate_cdn

  cat <<EOF

Deployed $STACK to aws://$ACCOUNT/$REGION.
  Chat page:    https://$domain/
  API endpoint: $api_endpoint
  Function:     $(stack_output LambdaFunctionName)

The twin answers through Bedrock by default (enable model access in the Bedrock console).
For an OpenAI-compatible provider, store its API key in the secret:
  aws secretsmanager put-secret-value --region $REGION \\
    --secret-id digital-twin-chat/$ENVIRONMENT/llm-api-key --secret-string '<your API key>'
EOF
}

main "$@"
