"""What names in files mean: images to technologies, base images to runtimes, connection strings and
the environment variables that point at dependencies (data: `data/technologies.yaml`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

_DATA = Path(__file__).resolve().parent / "data" / "technologies.yaml"


@dataclass(frozen=True)
class Tech:
    technology: str
    kind: str
    port: int | None = None
    variant: str = ""


@dataclass(frozen=True)
class Runtime:
    label: str  # "Python 3.12"
    technology: str  # "python"
    version: str  # "3.12", "" when the tag says none


@dataclass(frozen=True)
class Endpoint:
    """Where a connection string or `host:port` points (the password is never kept)."""

    scheme: str
    host: str
    port: str
    database: str
    user: str


@cache
def _data() -> dict[str, Any]:
    loaded = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@cache
def _images() -> list[tuple[re.Pattern[str], Tech]]:
    return [(re.compile(row["pattern"], re.I), Tech(row["technology"], row["kind"], row.get("port"),
                                                     row.get("variant", "")))
            for row in _data()["images"]]


@cache
def _runtimes() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    return [(re.compile(row["pattern"], re.I), row) for row in _data()["runtimes"]]


@cache
def _env() -> list[tuple[re.Pattern[str], Tech]]:
    return [(re.compile(rf"^(?:{row['pattern']})$", re.I), Tech(row["technology"], row["kind"]))
            for row in _data()["env"]]


def split_image(image: str) -> tuple[str, str]:
    """`registry.example.com:5000/team/api:1.2@sha256:…` -> ("team/api", "1.2")."""
    ref = image.strip().split("@", 1)[0]
    repo, tag = ref, ""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
    parts = repo.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    if parts and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts), tag


def image_tech(image: str) -> Tech | None:
    """The dependency an image runs (postgres -> postgresql database), or None for an app image."""
    repo, _ = split_image(image)
    for pattern, tech in _images():
        if pattern.search(repo):
            return tech
    return None


def image_version(image: str) -> str:
    """The leading version of an image tag: "15.4-alpine" -> "15.4", "latest"/"alpine" -> ""."""
    _, tag = split_image(image)
    found = re.match(r"v?(\d+(?:\.\d+){0,2})", tag)
    return found.group(1) if found else ""


def runtime_of(image: str) -> Runtime | None:
    repo, tag = split_image(image)
    for pattern, row in _runtimes():
        if pattern.search(repo):
            version = "" if row.get("versionless") else image_version(image)
            label = f"{row['runtime']} {version}".strip()
            return Runtime(label, row["technology"], version)
    return None


def self_env_role(name: str) -> str | None:
    """The role an image's own start-up variable names (POSTGRES_DB -> database), or None."""
    role = _data().get("self_env", {}).get(name)
    return str(role) if role else None


def env_target(name: str) -> Tech | None:
    """What an environment variable's name says it points at (REDIS_ADDR -> redis cache), or None."""
    for pattern, tech in _env():
        if pattern.match(name):
            return tech
    return None


_HOST_PORT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]|[A-Za-z0-9]):(\d{2,5})$")
_BARE_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")


def endpoint(value: str) -> Endpoint | None:
    """`postgres://u:p@db:5432/app`, `redis-cart:6379`, `db` -> where it points; None when it is not one."""
    text = value.strip()
    if not text or any(ch.isspace() for ch in text) or "${" in text or "{{" in text:
        return None
    if "://" in text:
        try:
            parts = urlsplit(text.split(",", 1)[0])
            host = parts.hostname or ""
            port = str(parts.port or "")
        except ValueError:
            return None
        if not host:
            return None
        database = parts.path.strip("/").split("/", 1)[0] if parts.scheme not in ("http", "https", "grpc") else ""
        return Endpoint(parts.scheme.lower(), host, port, database, parts.username or "")
    first = text.split(",", 1)[0]
    matched = _HOST_PORT.match(first)
    if matched:
        return Endpoint("", matched.group(1), matched.group(2), "", "")
    if _BARE_HOST.match(first) and not first.replace(".", "").isdigit():
        return Endpoint("", first, "", "", "")
    return None


# What the path of a connection URL names, by technology.
PATH_ROLE = {"postgresql": "database", "mysql": "database", "mongodb": "database", "kafka": "topic",
             "rabbitmq": "vhost", "redis": ""}


def scheme_tech(scheme: str) -> Tech | None:
    row = _data()["schemes"].get(scheme.lower())
    return Tech(row["technology"], row["kind"]) if row else None


# Keys whose values are secrets: never copied into evidence, settings or names.
SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth|"
                        r"access[_-]?key|signing|cookie|session[_-]?key|salt|\bkey\b|_key$", re.I)
_URL_CREDENTIALS = re.compile(r"(://[^:/@\s]+):[^@/\s]+@")
_KEY_VALUE = re.compile(r"""(?P<key>[A-Za-z_][\w.-]*)(?P<sep>\s*[:=]\s*|\s+)(?P<value>"[^"]*"|'[^']*'|\S+)""")


def redact(text: str) -> str:
    """A file line fit to show as evidence: credentials in URLs and values of secret-looking keys masked."""
    text = _URL_CREDENTIALS.sub(r"\1:***@", text)

    def mask(match: re.Match[str]) -> str:
        if SECRET_KEY.search(match.group("key")) and not match.group("value").startswith(("${", "{{")):
            return f"{match.group('key')}{match.group('sep')}***"
        return match.group(0)

    return _KEY_VALUE.sub(mask, text)


def is_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))
