#!/usr/bin/env bash
# npm run docker:check: builds the Dockerfile with the team's podman-based script
# (no Docker engine here), which runs the image, probes /healthz, runs the
# HEALTHCHECK, checks the user is not root and that SIGTERM exits 0. Then, with
# the same image, the README's Docker quick start: a config directory mounted at
# /config, one signed webhook answered 200 and delivered, and an edit of the
# mounted routes.yaml applied without a restart.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDER=${DOCKER_BUILD_HERE:-../shared/tools/docker-build-here.sh}
[ -f "$BUILDER" ] || { echo "docker:check: $BUILDER not found (the team's build script lives in shared/tools)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "docker:check: must run as root (rootful podman)"; exit 1; }
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
[ -f dist/cli.js ] || npm run build

PORT=${DOCKER_CHECK_PORT:-18090}
SINK_PORT=${DOCKER_CHECK_SINK_PORT:-18091}
IMAGE=localhost/switchboard:ci
WORK=${CTR_WORK:-/tmp/ctr-ci}
CFG=$(mktemp -d)
chmod 755 "$CFG"

# The user's config directory: the example, with the Slack target pointed at a local sink.
cp routes.example.yaml "$CFG/routes.yaml"
cp -r fixtures "$CFG/fixtures"
chmod -R a+rX "$CFG"

echo "== build and probe the image"
IMAGE=$IMAGE PORT=$PORT HEALTH_PATH=/healthz RUN_ARGS="-e PORT=$PORT -v $CFG:/config:ro" bash "$BUILDER"

export CONTAINERS_STORAGE_CONF="$WORK/storage.conf" CONTAINERS_CONF="$WORK/containers.conf"
NAME=switchboard-quickstart-$$
SINK_PID=
cleanup() {
  podman rm -f -t 5 "$NAME" >/dev/null 2>&1 || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
  rm -rf "$CFG"
}
trap cleanup EXIT

echo "== the quick start: docker run with the config directory mounted"
node bin/switchboard.js sink --port "$SINK_PORT" > "$CFG/sink.log" 2>&1 &
SINK_PID=$!
podman run -d --name "$NAME" --network host -e PORT="$PORT" \
  -e SLACK_WEBHOOK_URL="http://127.0.0.1:$SINK_PORT/slack" \
  -v "$CFG:/config:ro" "$IMAGE" 2> >(grep -v 'systemd connection' >&2 || true) >/dev/null
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 1; done
curl -fsS "http://127.0.0.1:$PORT/readyz" && echo

echo "== a signed webhook"
out=$(node bin/switchboard.js send -c "$CFG/routes.yaml" github fixtures/github/issue_comment.created.json \
  -H 'X-GitHub-Event: issue_comment' --url "http://127.0.0.1:$PORT")
echo "$out"
echo "$out" | grep -q '^HTTP 200 ' || { podman logs "$NAME"; echo "docker:check: the webhook was not accepted"; exit 1; }
for _ in $(seq 1 20); do grep -q 'octocat on Spelling error' "$CFG/sink.log" && break; sleep 0.5; done
grep -q 'octocat on Spelling error' "$CFG/sink.log" || { podman logs "$NAME"; echo "docker:check: the Slack message never reached the sink"; exit 1; }
echo "delivered to the sink"

echo "== edit the mounted routes.yaml: the change applies without a restart"
sed -i 's/{ "text": sender.login & " on " & issue.title & ": " & comment.body }/{ "text": "[edited] " \& sender.login \& ": " \& comment.body }/' "$CFG/routes.yaml"
grep -q '\[edited\]' "$CFG/routes.yaml" || { echo "docker:check: the edit did not apply to the file"; exit 1; }
for _ in $(seq 1 30); do podman logs "$NAME" 2>&1 | grep -q '"msg":"config reloaded"' && break; sleep 0.5; done
podman logs "$NAME" 2>&1 | grep -q '"msg":"config reloaded"' || { podman logs "$NAME"; echo "docker:check: no reload after editing the mounted file"; exit 1; }
node bin/switchboard.js send -c "$CFG/routes.yaml" github fixtures/github/issue_comment.created.json \
  -H 'X-GitHub-Event: issue_comment' --url "http://127.0.0.1:$PORT" | head -1
for _ in $(seq 1 20); do grep -q '\[edited\] octocat: Hello' "$CFG/sink.log" && break; sleep 0.5; done
grep -q '\[edited\] octocat: Hello' "$CFG/sink.log" || { podman logs "$NAME"; echo "docker:check: the edited route was not used"; exit 1; }
echo "the edited route is live"

podman stop -t 10 "$NAME" 2> >(grep -v 'systemd connection' >&2 || true) >/dev/null
code=$(podman inspect "$NAME" --format '{{.State.ExitCode}}')
[ "$code" = 0 ] || { podman logs "$NAME"; echo "docker:check: exit code $code after SIGTERM"; exit 1; }
echo "== docker:check OK"
