"""Models are found through the entry-point group; a third-party package registers the same way."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.errors import UsageError
from agent.models.registry import available, get_model

PLUGIN = '''
from agent.models.base import GenerationResult, Model


class EchoModel(Model):
    provider = "echo"
    summary = "test plugin"

    def generate(self, request, progress=None):
        raise NotImplementedError
'''


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[None]:
    (tmp_path / "echo_plugin.py").write_text(PLUGIN)
    dist = tmp_path / "echo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[runbook_agent.models]\necho = echo_plugin:EchoModel\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("echo_plugin", None)


def test_offline_is_registered_and_default() -> None:
    assert "offline" in [info.provider for info in available()]
    assert get_model(None).name == "offline"


def test_a_third_party_model_is_found(plugin: None) -> None:
    infos = {info.provider: info for info in available()}
    assert infos["echo"].distribution == "echo-plugin"
    model = get_model("echo:small")
    assert type(model).__name__ == "EchoModel" and model.name == "echo:small"


def test_unknown_models_and_missing_names() -> None:
    with pytest.raises(UsageError, match="unknown model 'nosuch:x'"):
        get_model("nosuch:x")
