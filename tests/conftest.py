pytest_plugins = ["conftest_llm"]

# --- agent test --execute: real PostgreSQL and Redis (started by .ci/services.sh) ---------------
# Added by the checks engineer. Locally the fixtures skip (with the reason) when the services are
# not running; under CI=true they fail instead, so a CI that forgot to start them can't pass.
from tests_services import live_services  # noqa: E402,F401
