"""Hostile or broken inputs (issue #14, item 7): one clear line on stderr, a non-zero exit, no traceback,
nothing half-written — through the real console entry point."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from agent import store
from agent.errors import Interrupted, RunbookFileError

GOOD = ["--type", "B", "--env", "A", "--criticality", "B", "--monitoring", "A", "--oncall", "A"]
ENV = {**os.environ, "NO_COLOR": "1"}


def agent(*args: str, cwd: Path, stdin: bytes = b"", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=timeout, env=ENV)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="replace"),
                                       done.stderr.decode(errors="replace"))


def one_clear_line(result: subprocess.CompletedProcess[str], needle: str, code: int) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0], lines[0]


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# --- bounded reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "what"), [("--service-file", "service file"), ("--answers", "answers file"),
                                              ("--rule", "rule file")])
def test_dev_zero_is_refused_quickly(tmp_path: Path, option: str, what: str) -> None:
    args = [option, "/dev/zero"] if option == "--service-file" else ["--service", "orders api", option, "/dev/zero"]
    start = time.monotonic()
    result = agent("generate", *args, *GOOD, cwd=tmp_path)
    assert time.monotonic() - start < 30
    one_clear_line(result, f"{what} /dev/zero is larger than", 2)
    assert files(tmp_path) == []


@pytest.mark.parametrize(("option", "name", "size"), [("--service-file", "big.txt", 400_000),
                                                      ("--answers", "big.yaml", 70_000),
                                                      ("--rule", "big.md", 1_100_000)])
def test_files_past_the_limit_are_refused(tmp_path: Path, option: str, name: str, size: int) -> None:
    (tmp_path / name).write_text("x" * size)
    args = [option, name] if option == "--service-file" else ["--service", "orders api", option, name]
    one_clear_line(agent("generate", *args, *GOOD, cwd=tmp_path), "is larger than", 2)
    assert files(tmp_path) == [name]


def test_a_service_file_just_past_the_description_limit_says_its_length(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("orders api " * 2000)
    one_clear_line(agent("generate", "--service-file", "long.txt", *GOOD, cwd=tmp_path),
                   "the limit is 20000", 2)


# --- YAML and JSON that expand or nest without bound ----------------------------------------------


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
type: [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("bomb.yaml", BILLION_LAUGHS, "expands to more than"),
    ("self.yaml", "type: &x [*x]\n", "refers to itself"),
    ("deep.yaml", "type: " + "[" * 50 + "]" * 50 + "\n", "nested deeper than"),
    ("deeper.yaml", "type: " + "[" * 20000 + "]" * 20000 + "\n", "answers file deeper.yaml"),
    ("deep.json", '{"type": ' + "[" * 20000 + "]" * 20000 + "}", "nested deeper than"),
    ("huge.json", '{"type": ' + "9" * 6000 + "}", "too large"),
    ("latin1.yaml", None, "not UTF-8 text"),
])
def test_answers_files_that_explode_are_refused(tmp_path: Path, name: str, text: str | None, needle: str) -> None:
    if text is None:
        (tmp_path / name).write_bytes("type: caf\xe9\n".encode("latin-1"))
    else:
        (tmp_path / name).write_text(text)
    start = time.monotonic()
    result = agent("generate", "--service", "orders api", "--answers", name, *GOOD[2:], cwd=tmp_path)
    assert time.monotonic() - start < 30
    one_clear_line(result, needle, 2)
    assert files(tmp_path) == [name]


def test_anchors_within_bounds_still_work(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("type: &t B\n1: *t\nenv: kubernetes\n")
    result = agent("generate", "--service", "orders api", "--answers", "answers.yaml", "--criticality", "B",
                   "--monitoring", "A", "--oncall", "A", "--no-tool-checks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


# --- invalid UTF-8 and control characters ---------------------------------------------------------


def test_invalid_utf8_on_stdin(tmp_path: Path) -> None:
    one_clear_line(agent("generate", "--service-file", "-", *GOOD, cwd=tmp_path, stdin=b"orders \xff\xfe api\n"),
                   "cannot read standard input: not UTF-8 text", 2)
    one_clear_line(agent("test", "-", cwd=tmp_path, stdin=b"# Runbook\n\xc3\x28\n"),
                   "cannot read standard input: not UTF-8 text", 2)
    assert files(tmp_path) == []


def test_invalid_utf8_in_an_argument(tmp_path: Path) -> None:
    argv = [sys.executable.encode(), b"-m", b"agent", b"generate", b"orders \xff api", *map(str.encode, GOOD)]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, timeout=120, env=ENV)
    result = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="replace"),
                                         done.stderr.decode(errors="replace"))
    one_clear_line(result, "not valid UTF-8", 2)
    assert files(tmp_path) == []


def test_escape_sequences_in_a_description_never_reach_the_terminal_or_the_runbook(tmp_path: Path) -> None:
    result = agent("generate", "Orders API on EKS\x1b]0;pwned\x07 \x1b[31mred\x1b[0m", *GOOD, "--no-tool-checks",
                   cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "tasks" / "runbook-orders-api.md").read_text()
    assert "\x1b" not in written and "\x07" not in written
    assert "\x1b" not in result.stdout + result.stderr


# --- symlinks ------------------------------------------------------------------------------------


def test_a_symlink_at_the_target_is_refused_and_never_followed(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (tmp_path / "tasks" / "runbook-orders-api.md").symlink_to(victim)
    for extra in ([], ["--force"]):
        result = agent("generate", "orders api", *GOOD, *extra, cwd=tmp_path)
        one_clear_line(result, "is a symbolic link; refusing to write through it", 3)
    assert victim.read_text() == "keep me\n"
    assert (tmp_path / "tasks" / "runbook-orders-api.md").is_symlink()
    assert not (tmp_path / "RUNBOOK_TRACKING.md").exists()


def test_a_symlinked_tracking_file_is_never_read_nor_written(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("| runbook-secret | v9 | 2020-01-01 | s3cr3t-value |\n")
    (tmp_path / "RUNBOOK_TRACKING.md").symlink_to(secret)
    result = agent("generate", "orders api", *GOOD, cwd=tmp_path)
    one_clear_line(result, "tracking file", 3)
    assert "symbolic link" in result.stderr
    assert secret.read_text() == "| runbook-secret | v9 | 2020-01-01 | s3cr3t-value |\n"
    assert not (tmp_path / "tasks").exists()
    with pytest.raises(RunbookFileError, match="symbolic link"):  # the library refuses the same way
        store.record(tmp_path / "RUNBOOK_TRACKING.md", "x", "1.0", datetime(2026, 1, 1), "X")


def test_refusals_come_before_any_generation(tmp_path: Path) -> None:
    """An existing runbook is refused in about the time it takes to start, not after a whole generation."""
    first = agent("generate", "orders api on EKS", *GOOD, "--no-tool-checks", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "tasks" / "runbook-orders-api.md").read_text()
    script = ("import sys, agent.models.offline as o\n"
              "def boom(*a, **k): raise SystemExit('generation ran')\n"
              "o.OfflineModel.generate = boom\n"
              "from agent.cli import main\nsys.argv = ['agent', *sys.argv[1:]]\nmain()\n")
    done = subprocess.run([sys.executable, "-c", script, "generate", "orders api on EKS", *GOOD], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=ENV)
    one_clear_line(done, "already exists (pass --force to overwrite it)", 3)
    assert (tmp_path / "tasks" / "runbook-orders-api.md").read_text() == before


# --- a read-only tracking directory ----------------------------------------------------------------


def _read_only(directory: Path, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run argv with `directory` read-only: a private read-only bind mount as root, chmod otherwise."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, env=ENV)
        finally:
            directory.chmod(0o755)
        return done
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare to make a read-only directory as root")
    script = 'mount --make-rprivate / && mount --bind -o ro "$0" "$0" && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, str(directory), *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=ENV)


def test_a_read_only_tracking_directory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    argv = [sys.executable, "-m", "agent", "generate", "orders api", *GOOD, "--out", str(tmp_path / "out"),
            "--tracking", str(project / "docs" / "RUNBOOK_TRACKING.md")]
    result = _read_only(project / "docs", argv, tmp_path)
    if "unshare" in result.stderr or "mount:" in result.stderr:
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()}")
    one_clear_line(result, "cannot update the tracking file", 3)
    assert files(tmp_path) == ["project", "project/docs"]


# --- the tracking table under a lock -----------------------------------------------------------------


RECORD = """
import sys, time
from datetime import datetime
from pathlib import Path
from agent import store
start = float(sys.argv[3])
while time.time() < start:  # every process writes at once
    time.sleep(0.001)
slug = sys.argv[2]
out = Path(sys.argv[1]) / "tasks"
store.publish(out / f"runbook-{slug}.md", f"# Runbook: {slug}\\n", Path(sys.argv[1]) / "RUNBOOK_TRACKING.md",
              store.Entry(slug, "1.0", datetime(2026, 1, 1), slug.title()), force=False)
"""


def test_forty_concurrent_saves_leave_forty_rows(tmp_path: Path) -> None:
    start = time.time() + 3
    procs = [subprocess.Popen([sys.executable, "-c", RECORD, str(tmp_path), f"svc-{i:02d}", str(start)],
                              stderr=subprocess.PIPE, text=True) for i in range(40)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    rows = [line for line in (tmp_path / "RUNBOOK_TRACKING.md").read_text().splitlines()
            if line.startswith("| runbook-svc-")]
    assert sorted(rows) == [f"| runbook-svc-{i:02d} | v1.0 | 2026-01-01 | Svc-{i:02d} |" for i in range(40)]
    assert len(list((tmp_path / "tasks").iterdir())) == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RUNBOOK_TRACKING.md", "tasks"]  # no lock or temp files


def test_concurrent_generate_runs_keep_every_row(tmp_path: Path) -> None:
    names = [f"svc{i}" for i in range(6)]
    procs = [subprocess.Popen([sys.executable, "-m", "agent", "generate", f"{n} api on EKS", "--name", n, *GOOD,
                               "--no-tool-checks"], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in names]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    tracking = (tmp_path / "RUNBOOK_TRACKING.md").read_text()
    assert sorted(line.split(" | ")[0] for line in tracking.splitlines() if line.startswith("| runbook-")) == \
        [f"| runbook-{n}" for n in names]


# --- interrupts: the runbook and its tracking row, both or neither -----------------------------------


def test_an_interrupt_inside_the_publishing_step_waits_for_both_files(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path, tracking = tmp_path / "tasks" / "runbook-x.md", tmp_path / "RUNBOOK_TRACKING.md"
    real_replace = os.replace

    def interrupted_replace(src: str, dst: str | Path) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the runbook and its tracking row
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(Interrupted, match="had been written"):
        store.publish(path, "# Runbook: X\n", tracking, store.Entry("x", "1.0", datetime(2026, 1, 1), "X"),
                      force=False)
    monkeypatch.undo()
    assert path.read_text() == "# Runbook: X\n"
    assert "| runbook-x | v1.0 |" in tracking.read_text()


def test_ctrl_c_at_any_moment_leaves_both_or_neither_and_says_which(tmp_path: Path) -> None:
    delays = [0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.2, 2.8]
    seen = set()
    for index, delay in enumerate(delays):
        cwd = tmp_path / f"run{index}"
        cwd.mkdir()
        proc = subprocess.Popen([sys.executable, "-m", "agent", "generate", "orders api on EKS", *GOOD], cwd=cwd,
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        runbook = cwd / "tasks" / "runbook-orders-api.md"
        tracking = cwd / "RUNBOOK_TRACKING.md"
        row = tracking.exists() and "| runbook-orders-api |" in tracking.read_text()
        assert runbook.exists() == row, (delay, err)
        leftovers = [p for p in cwd.rglob("*") if p.name.endswith(".tmp") or p.name.endswith(".old")]
        assert leftovers == []
        if proc.returncode == -signal.SIGINT:
            # The default action: before Python installed its handler (nothing written yet), or during
            # interpreter shutdown after the run completed (both written). Both-or-neither is asserted above.
            seen.add("both" if runbook.exists() else "neither")
        elif proc.returncode == 130:
            if runbook.exists():
                assert "had been written" in err, err
                seen.add("both")
            else:
                assert "nothing was written" in err, err
                seen.add("neither")
        else:
            assert proc.returncode == 0 and runbook.exists(), err
            seen.add("finished")
    assert "neither" in seen  # the early interrupts landed before anything was written


def test_json_report_of_an_untouched_regeneration(tmp_path: Path) -> None:
    first = agent("generate", "orders api on EKS", *GOOD, "--no-tool-checks", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = agent("generate", "orders api on EKS", *GOOD, "--no-tool-checks", "--force", "--format", "json",
                  cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    payload = json.loads(again.stdout)
    assert payload["unchanged"] is True and payload["version"] == "1.0"


def test_the_planned_file_name_is_the_one_generation_gives() -> None:
    """Refusing an existing file before generating is right only if the name is known beforehand: for every
    eval case (and an empty-ish one), the planned slug is the slug of the title the offline engine writes."""
    import yaml

    from agent import loop
    from agent.answers import from_mapping
    from agent.models.base import GenerationRequest
    from agent.models.offline import OfflineModel
    from agent.rule import load_rule

    rule = load_rule()
    cases = sorted((Path(__file__).resolve().parents[1] / "eval" / "cases").glob("*.yaml"))
    assert cases
    for case in cases:
        data = yaml.safe_load(case.read_text(encoding="utf-8"))
        description = data["description"]
        answers = from_mapping(rule, data.get("answers") or {"type": "api"}, str(case))
        request = GenerationRequest(rule=rule, description=description.strip(), answers=answers,
                                    now=datetime(2026, 1, 1))
        title = OfflineModel().generate(request).runbook.header.service_name
        assert loop.planned_slug(description.strip(), None) == store.title_slug(title), case.name


def test_ctrl_c_after_both_files_are_placed_says_they_were(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI on ad062da: a SIGINT that landed after publish() had placed the runbook and its row (while the CLI was
    finishing) was reported as "interrupted; nothing was written". Deterministic: the interrupt is raised right
    after publish returns."""
    from click.testing import CliRunner

    from agent import loop
    from agent.cli import cli

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(loop, "Saved", interrupted)
    result = CliRunner().invoke(cli, ["generate", "orders api on EKS", *GOOD, "--no-tool-checks"])
    assert result.exit_code == 130, result.output
    assert (tmp_path / "tasks" / "runbook-orders-api.md").exists()
    assert "had been written" in result.output and "nothing was written" not in result.output, result.output
