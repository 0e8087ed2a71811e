from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

pytest_plugins = ["conftest_llm"]

# --- agent test --execute: real PostgreSQL and Redis (started by .ci/services.sh) ---------------
# Added by the checks engineer. Locally the fixtures skip (with the reason) when the services are
# not running; under CI=true they fail instead, so a CI that forgot to start them can't pass.
from tests_services import live_services  # noqa: E402,F401


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The user cache dir (CLI verdicts, help tables, compiled templates) is the session's own: a
    developer's warm ~/.cache can neither hide a test's tool run nor leak between machines."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before
