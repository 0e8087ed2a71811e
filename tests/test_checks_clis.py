"""CLI flags and subcommands against the real tools (each test needs its tool; absent → skipped)."""

from __future__ import annotations

import shutil

import pytest

from agent.checks import check_markdown


def _rules(code: str, **kw: object) -> list[tuple[int, str]]:
    text = f"# T\n\n## S\n\n```bash\n{code}\n```\n"
    report = check_markdown(text, "t.md", profile="generic", **kw)  # type: ignore[arg-type]
    return [(f.line - 5, f.rule) for f in report.findings if not f.rule.startswith("scope.")]


def needs(tool: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(shutil.which(tool) is None, reason=f"{tool} is not installed")


@needs("kubectl")
def test_kubectl() -> None:
    code = "\n".join([
        "kubectl get pods -n prod -o wide",
        "kubectl get pods --namspace prod",  # 2
        "kubectl rollout frobnicate deployment/api -n prod",  # 3
        "kubectl top pods -n prod --containers",
        "kubectl exec -n prod api-0 -- ls --not-a-kubectl-flag",
        "kubectl logs -n prod deploy/api --since=10m --tail=100",
        "kubectl frobnicate pods",  # 7
        "kubectl config use-context prod",
    ])
    assert _rules(code) == [(2, "kubectl.flag"), (3, "kubectl.command"), (7, "kubectl.command")]


@needs("docker")
def test_docker() -> None:
    assert _rules("docker ps -a\ndocker psx\ndocker logs --tail 10 api\ndocker ps --foo") == [
        (2, "docker.command"), (4, "docker.flag")]


@needs("psql")
def test_psql_flags_are_checked_without_running_psql() -> None:
    assert _rules('psql -h db -U app -d app -X -At -c "SELECT 1"\npsql --usr app -c "SELECT 1"') == [
        (2, "psql.flag")]


@needs("systemctl")
def test_systemctl_and_journalctl() -> None:
    code = "systemctl status nginx --no-pager\nsystemctl restat nginx\njournalctl -u nginx -n 50\njournalctl --sinse 1h"
    assert _rules(code) == [(2, "systemctl.command"), (4, "journalctl.flag")]


def test_redis_from_command_table() -> None:
    code = "redis-cli -h cache INFO memory\nredis-cli -h cache GET\nredis-cli CONFIG GETT x\nredis-cli --bogus PING"
    assert _rules(code) == [(2, "redis.arity"), (3, "redis.command"), (4, "redis-cli.flag")]


def test_aws_from_its_command_tables() -> None:
    code = "\n".join([
        "aws rds describe-db-instances --db-instance-identifier db --region us-east-1",
        "aws rds describe-db-instancez",  # 2
        "aws rds describe-db-instances --db-instance-identifer db",  # 3
        "aws s3 ls s3://bucket/",
        "aws ec2 wait instance-running --instance-ids i-1",
        "aws frobnicate list-things",  # 6
        "aws deploy list-applications",  # renamed service (codedeploy)
        'aws logs tail "/aws/lambda/fn" --since 1h',  # AWS CLI v2 only: unchecked, not wrong
    ])
    assert _rules(code) == [(2, "aws.command"), (3, "aws.flag"), (6, "aws.command")]
    report = check_markdown(f"# T\n\n## S\n\n```bash\n{code}\n```\n", "t.md", profile="generic")
    assert "aws logs tail: an AWS CLI v2 command, not in awscli 1's tables (1 command unchecked)" in report.skipped


def test_missing_tool_is_reported_as_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.checks import clis

    real = shutil.which
    monkeypatch.setattr(clis.shutil, "which", lambda name: None if name == "helm" else real(name))
    report = check_markdown("# T\n\n## S\n\n```bash\nhelm lst -n prod\nhelm status api\n```\n", "t.md",
                            profile="generic")
    assert report.findings == []
    assert report.skipped == ["helm: not installed (2 commands unchecked)"]
    assert "not checked: helm" in report.summary()


def test_no_tools_skips_cli_checks() -> None:
    assert _rules("kubectl get pods --namspace prod", tools=False) == []
