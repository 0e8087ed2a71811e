"""Where the files shipped beside the code live: prompts/, schemas/ and rules/.

In a wheel they are inside the package (`agent/_data/...`, see pyproject's force-include); in a
source checkout or an editable install they sit at the project root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
