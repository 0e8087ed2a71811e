"""`agent packs`, and packs from a third-party distribution through the `runbook_agent.packs` group."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.cli import cli
from agent.knowledge.base import Context, Facts
from agent.knowledge.packs import PackLoadError, all_packs, detect_packs, get_pack
from agent.runbook import Appendix, Link, iter_commands

PLUGIN = '''
from agent.knowledge.base import Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q


class VarnishPack(KeywordPack):
    name = "varnish"
    summary = "Varnish cache: hit rate, ban lists"
    keywords = ("varnish",)
    order = 61
    examples = ("Varnish in front of the catalog API",)

    def build(self, ctx):
        host = ctx.facts.name("varnish.host", ctx.facts.service + "-varnish")
        return Contribution(cheatsheet=[cmd("Hit and miss counters",
                                            f"ssh {q(host)} varnishstat -1 -f MAIN.cache_hit -f MAIN.cache_miss",
                                            "hits far above misses")])


PACK = VarnishPack()
NOT_A_PACK = object()
'''


def _install(tmp_path: Path, entry: str) -> None:
    (tmp_path / "varnish_pack.py").write_text(PLUGIN)
    dist = tmp_path / "varnish_pack-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: varnish-pack\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[runbook_agent.packs]\n{entry}\n")


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    all_packs.cache_clear()
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("varnish_pack", None)
        all_packs.cache_clear()


def ctx_for(description: str) -> Context:
    from agent.answers import Answers

    return Context(Answers(), Facts(service="catalog", display_name="Catalog", description=description))


def test_lists_every_pack_with_its_summary() -> None:
    result = CliRunner().invoke(cli, ["packs"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    for pack in all_packs():
        assert any(line.split()[0] == pack.name and pack.summary in line for line in lines), pack.name
    assert f"{len(all_packs())} packs" in result.output


def test_service_shows_which_apply_and_why() -> None:
    result = CliRunner().invoke(cli, ["packs", "--service", "Orders API: Postgres behind PgBouncer, SQS queue"])
    assert result.exit_code == 0, result.output
    assert "pgbouncer" in result.output and "description mentions 'PgBouncer'" in result.output
    assert "postgresql" in result.output and "sqs" in result.output
    assert "kafka" not in result.output
    assert "3 of" in result.output


def test_service_with_no_technology_and_empty_description() -> None:
    none = CliRunner().invoke(cli, ["packs", "--service", "A static website"])
    assert none.exit_code == 0 and "no technology pack applies" in none.output
    empty = CliRunner().invoke(cli, ["packs", "--service", "  "])
    assert empty.exit_code == 2
    assert empty.output.strip().startswith("error: --service needs a description")
    assert "Traceback" not in empty.output


def test_get_pack_names_the_known_ones() -> None:
    assert get_pack("kafka").name == "kafka"
    with pytest.raises(Exception, match="no knowledge pack named 'nosuch'.*known packs: postgresql"):
        get_pack("nosuch")


def test_a_third_party_pack_is_found_detected_and_valid(plugin_dir: Path) -> None:
    _install(plugin_dir, "varnish = varnish_pack:PACK")
    names = [p.name for p in all_packs()]
    assert "varnish" in names and "postgresql" in names
    assert names.index("nginx") < names.index("varnish") < names.index("helm")  # order 61 sits between
    found = dict((p.name, r) for p, r in detect_packs(ctx_for("Varnish in front of the catalog API")))
    assert found == {"varnish": "description mentions 'Varnish'"}
    part = get_pack("varnish").contribute(ctx_for("Varnish"))
    Appendix(cheatsheet=part.cheatsheet, related_docs=[Link(title="t", location="l")])
    assert [c.code for c in iter_commands(part.cheatsheet[0])] == [
        'ssh "${VARNISH_HOST}" varnishstat -1 -f MAIN.cache_hit -f MAIN.cache_miss']  # no host is made from the slug
    assert part.prerequisites == ["varnish: names the description does not give are defaults; check or replace "
                                  "them in the commands: varnish.host=catalog-varnish"]
    listed = CliRunner().invoke(cli, ["packs"])
    assert "varnish" in listed.output and "Varnish cache: hit rate" in listed.output


def test_a_broken_third_party_pack_is_one_clear_error(plugin_dir: Path) -> None:
    _install(plugin_dir, "broken = varnish_pack:NOT_A_PACK")
    with pytest.raises(PackLoadError, match="entry point 'broken' in runbook_agent.packs is not a pack"):
        all_packs()
    result = CliRunner().invoke(cli, ["packs"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: entry point 'broken'")


def test_two_packs_with_one_name_are_refused(plugin_dir: Path) -> None:
    _install(plugin_dir, "dup = varnish_pack:PACK")
    (plugin_dir / "varnish_pack.py").write_text(PLUGIN.replace('name = "varnish"', 'name = "redis"'))
    with pytest.raises(PackLoadError, match="two packs are named 'redis'"):
        all_packs()


def test_env_answer_changes_detection() -> None:
    plain = CliRunner().invoke(cli, ["packs", "--service", "Resizes images uploaded to S3"])
    serverless = CliRunner().invoke(cli, ["packs", "--service", "Resizes images uploaded to S3", "--env", "serverless"])
    assert "lambda" not in plain.output
    assert "lambda  the deployment environment is serverless on AWS" in serverless.output
    bad = CliRunner().invoke(cli, ["packs", "--env", "marsbase"])
    assert bad.exit_code == 2 and bad.output.startswith("error: cannot use 'marsbase' as an answer to 'env'")


def test_show_prints_a_pack_as_markdown_the_checker_accepts() -> None:
    from agent.checks.check import check_markdown

    result = CliRunner().invoke(cli, ["packs", "--show", "sqs", "--monitoring", "datadog", "--env", "kubernetes",
                                      "--service", "Billing worker consuming the SQS queue invoices in eu-west-1"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("# Pack sqs: what it adds to a runbook")
    assert "max(last_5m):max:aws.sqs.approximate_age_of_oldest_message{queuename:invoices} > 600" in text
    assert "kubectl rollout restart deployment/" in text and "--region eu-west-1" in text
    assert "> **Warning:** Every DLQ message is re-delivered" in text
    report = check_markdown(text, "sqs", tools=False, profile="generic")
    assert not [f for f in report.findings if f.severity == "error"], report.findings
    missing = CliRunner().invoke(cli, ["packs", "--show", "nosuch"])
    assert missing.exit_code == 2 and "no knowledge pack named 'nosuch'" in missing.output


def test_env_without_a_service_is_refused_not_ignored() -> None:
    for args in (["--env", "kubernetes"], ["--monitoring", "datadog"]):
        result = CliRunner().invoke(cli, ["packs", *args])
        assert result.exit_code == 2
        assert "only changes which packs apply to a service" in result.output
        assert "add --service TEXT" in result.output


def test_every_pack_shown_passes_agent_test_with_its_defaults() -> None:
    """What the README says to pipe (`agent packs --show NAME | agent test -`) passes, for every pack."""
    from agent.checks.check import check_markdown

    for pack in all_packs():
        shown = CliRunner().invoke(cli, ["packs", "--show", pack.name])
        assert shown.exit_code == 0, shown.output
        report = check_markdown(shown.output, pack.name)  # profile auto, CLI checks on: agent test's defaults
        assert not report.failed("error"), (pack.name, [(f.line, f.rule, f.message) for f in report.findings])


def test_show_piped_into_agent_test(tmp_path: Path) -> None:
    import subprocess
    import sys

    shown = subprocess.run([sys.executable, "-m", "agent", "packs", "--show", "pgbouncer"], capture_output=True,
                           check=True, timeout=60)
    tested = subprocess.run([sys.executable, "-m", "agent", "test", "-"], input=shown.stdout.decode(),
                            capture_output=True, text=True, timeout=120)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.startswith("<stdin>  (profile generic)")
    assert "0 errors" in tested.stdout
