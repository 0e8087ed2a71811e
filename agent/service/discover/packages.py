"""Package manifests: the runtime and its version, and the framework, from package.json (`engines`),
pyproject.toml (`requires-python`), requirements*.txt, go.mod (`go` directive), pom.xml
(`java.version`, Spring Boot parent) and Cargo.toml."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from xml.etree import ElementTree

from agent.service.discover.partial import Source
from agent.service.discover.yamlfile import mapping

# Libraries that name the framework a service is built on (first match wins).
_FRAMEWORKS = {
    "nodejs": (("next", "Next.js"), ("@nestjs/core", "NestJS"), ("express", "Express"), ("fastify", "Fastify"),
               ("koa", "Koa"), ("react-scripts", "React"), ("react", "React")),
    "python": (("django", "Django"), ("fastapi", "FastAPI"), ("flask", "Flask"), ("celery", "Celery"),
               ("aiohttp", "aiohttp"), ("starlette", "Starlette")),
    "go": (("github.com/gin-gonic/gin", "Gin"), ("github.com/labstack/echo", "Echo"),
           ("github.com/gofiber/fiber", "Fiber"), ("google.golang.org/grpc", "gRPC")),
    "java": (("spring-boot", "Spring Boot"), ("quarkus", "Quarkus"), ("micronaut", "Micronaut")),
}


@dataclass
class Package:
    rel: str
    technology: str  # nodejs, python, go, java, rust
    runtime: str  # "Node.js 20", "Python 3.11", "Go 1.22", "Java 17"
    framework: str
    name: str
    line: int  # where the runtime version is said (1 when nowhere)
    src: Source


def _line(text: str, needle: str) -> int:
    for number, row in enumerate(text.splitlines(), start=1):
        if needle in row:
            return number
    return 1


def _framework(technology: str, deps: list[str]) -> str:
    lowered = [d.lower() for d in deps]
    for needle, label in _FRAMEWORKS.get(technology, ()):
        if any(d == needle or d.startswith(needle + "/") or (technology == "java" and needle in d) for d in lowered):
            return label
    return ""


def _version(spec: str) -> str:
    found = re.search(r"(\d+(?:\.\d+)?)", spec or "")
    return found.group(1) if found else ""


def read(rel: str, text: str) -> Package | None:
    name = rel.rsplit("/", 1)[-1].lower()
    src = Source.of(rel, text)
    try:
        if name == "package.json":
            data = json.loads(text)
            if not isinstance(data, dict):
                return None
            engines = mapping(data.get("engines"))
            version = _version(str(engines.get("node", "")))
            deps = [*(data.get("dependencies") or {}), *(data.get("devDependencies") or {})]
            return Package(rel, "nodejs", f"Node.js {version}".strip(), _framework("nodejs", deps),
                           str(data.get("name") or ""), _line(text, '"node"') if version else 1, src)
        if name == "pyproject.toml":
            data = tomllib.loads(text)
            project = mapping(data.get("project"))
            poetry = mapping(mapping(data.get("tool")).get("poetry"))
            requires = str(project.get("requires-python") or mapping(poetry.get("dependencies")).get("python", ""))
            version = _version(requires)
            deps = [re.split(r"[<>=!~\[; ]", str(d), maxsplit=1)[0] for d in project.get("dependencies") or []]
            deps += list(poetry.get("dependencies", {}) or {})
            return Package(rel, "python", f"Python {version}".strip(), _framework("python", deps),
                           str(project.get("name") or poetry.get("name") or ""),
                           _line(text, "python") if version else 1, src)
        if name.startswith("requirements") and name.endswith(".txt"):
            deps = [re.split(r"[<>=!~\[; ]", row.strip(), maxsplit=1)[0] for row in text.splitlines()
                    if row.strip() and not row.lstrip().startswith(("#", "-"))]
            return Package(rel, "python", "Python", _framework("python", deps), "", 1, src)
        if name == "go.mod":
            module = re.search(r"^module\s+(\S+)", text, re.M)
            go = re.search(r"^go\s+(\d+\.\d+)", text, re.M)
            deps = re.findall(r"^\s*(?:require\s+)?([\w./-]+\.[\w./-]+)\s+v", text, re.M)
            return Package(rel, "go", f"Go {go.group(1)}" if go else "Go", _framework("go", deps),
                           module.group(1) if module else "", _line(text, "go ") if go else 1, src)
        if name == "pom.xml":
            root = ElementTree.fromstring(text)
            ns = re.match(r"\{[^}]*\}", root.tag)
            prefix = ns.group(0) if ns else ""
            props = root.find(f"{prefix}properties")
            version = ""
            for key in ("java.version", "maven.compiler.release", "maven.compiler.source", "maven.compiler.target"):
                element = props.find(f"{prefix}{key}") if props is not None else None
                if element is not None and element.text:
                    version = _version(element.text)
                    break
            parent = root.find(f"{prefix}parent/{prefix}artifactId")
            deps = [e.text or "" for e in root.iter(f"{prefix}artifactId")]
            framework = "Spring Boot" if parent is not None and "spring-boot" in (parent.text or "") else \
                _framework("java", deps)
            artifact = root.find(f"{prefix}artifactId")
            return Package(rel, "java", f"Java {version}".strip(), framework,
                           artifact.text or "" if artifact is not None else "",
                           _line(text, "java.version") if version else 1, src)
        if name == "cargo.toml":
            data = tomllib.loads(text)
            package = mapping(data.get("package"))
            version = _version(str(package.get("rust-version") or ""))
            return Package(rel, "rust", f"Rust {version}".strip(), "", str(package.get("name") or ""), 1, src)
    except (ValueError, ElementTree.ParseError, tomllib.TOMLDecodeError, AttributeError, TypeError):
        return None
    return None
