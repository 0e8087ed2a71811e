"""Commands the team wrote in the description, and what each is for.

"Deploys are `cap production deploy`, rollback is `cap production deploy:rollback`", "restart with
`sudo systemctl restart larkspur-puma`", "$ make deploy ENV=prod": the team's own way of doing an
operation beats any generic recipe, so the runbook uses these as written (the generic step stays as a
fallback), and they are no longer listed as names the parser could not place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.checks.placeholders import find_placeholders
from agent.checks.shell import syntax_errors

# programs a team's operational command starts with (after sudo / env assignments)
_PROGRAMS = frozenset("""cap bundle ansible ansible-playbook helm helmfile kubectl kustomize terraform terragrunt make
    fab kamal mina sam serverless sls cdk pulumi argocd flux docker docker-compose podman systemctl service journalctl
    supervisorctl pm2 git npm yarn pnpm rake rails php artisan python python3 node aws gcloud az eb heroku fly flyctl
    nomad consul vault kubectl-argo-rollouts skaffold tilt gradle mvn dotnet nginx haproxy patronictl pgbackrest
    redis-cli psql mysql mongosh rabbitmqctl celery sidekiqctl airflow dbt spark-submit flink curl
    rabbitmq-queues rabbitmq-diagnostics rabbitmq-upgrade rabbitmq-plugins rabbitmqadmin nodetool cqlsh medusa
    orchestrator-client proxysql-admin mysqladmin mysqlbinlog mysqlsh xtrabackup pg_dump pg_restore pg_isready
    pg_basebackup pg_ctl wal-g barman mongodump mongorestore etcdctl wrangler kafka-topics.sh
    kafka-consumer-groups.sh kafka-configs.sh kafka-reassign-partitions.sh kcat kafkacat istioctl linkerd envoy
    clickhouse-client mc velero restic stern oc virtctl gsutil bq doctl hcloud sqlcmd openstack temporal tctl nats
    promtool amtool logcli chronyc timedatectl ntpq crictl k3s rke2 cockroach varnishadm varnishstat varnishlog
    mcrouter mc nc haproxy keepalived tmsh keytool kcadm.sh xfs_repair mkfs.xfs smartctl ipmitool zfs zpool
    iisreset appcmd sentinel redis-sentinel memcached-tool pulsar-admin bookkeeper nats-server scylla cqlsh rm mv cp
    xfs_growfs growpart resize2fs kill pkill df du mount umount openssl dig rndc named-checkzone named-checkconf
    nsupdate unbound-control unbound-checkconf mosquitto_sub mosquitto_pub zkcli.sh zkCli.sh solr""".split())
# a program-like word ("mkfs.xfs", "cockroach"), for a command given with a flag or a pipe
_PROGRAM_LIKE = re.compile(r"[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*")
_SCRIPT = re.compile(r"(?:\./|bin/|scripts?/|~/)[\w./-]+|[\w./-]*[\w-]\.sh")  # "/opt/x/bin/deploy.sh" too
_SPAN = re.compile(r"`([^`\n]{3,200})`|^\s*\$\s+(.{3,200})$", re.M)
# a command written out on a line of its own, no backticks: a program, arguments, at least one flag
_LINE = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?((?:sudo\s+)?(?:\./|~/)?[a-z][\w./-]*(?:\s.{0,200}?)?\s--?[a-z][\w-]*"
                   r".{0,200}?)(?:\s{2,}\([^()\n]{2,80}\))?[ \t]*$", re.M)  # "./ops/x.sh --since 6h   (wraps …)"
# a command after a label's colon, to the end of its line: "status: kubectl -n kafka-prod get kafka events-prod"
_AFTER_COLON = re.compile(r"(?:^|\s)[a-z][\w ]{0,30}:[ \t]+((?:sudo\s+)?[a-z][\w.-]*\s+-.{2,200})$", re.M)
PROGRAMS = _PROGRAMS  # the programs we know, for the parser: a word after one is its subcommand


# a script after a label, an aside in parentheses after it: "rollback:  sudo /opt/x/bin/deploy.sh --rollback
# (flips `current` back)", "deploy: ./ops/release.sh v1.4"
_LABELLED_SCRIPT = re.compile(r"(?:^|\s)[a-z][\w ]{0,30}:[ \t]+((?:sudo\s+)?[\w./~-]+\.sh\b[^\n(]*?)"
                              r"(?=[ \t]+\(|[ \t]*$)", re.M)
# a command after a label or a sentence inside prose: "Fix (approved): az sql db update -g rg -n db
# --service-objective S6, then …" — a known program with a flag, up to the clause's end
_INLINE = re.compile(r"(?:(?<=:\s)|(?<=[.;]\s)|(?<=\bthen\s)|(?<=\brun\s)|(?<=\bwith\s)|(?<=\busing\s))"
                     r"((?:sudo\s+)?[a-z][\w.-]*\s[^,;`\n]*?\s--?[a-z][^,;`\n]*?)"
                     # "Validate with haproxy -c -f /etc/haproxy/haproxy.cfg, then …": up to the clause's end
                     r"(?=,\s|;\s|\.\s|\.?$|[ \t]+(?:before|after|first|then|on|and|if|when|until)\b[ \t]+\S)", re.M)

# a program we know written in prose without a flag, after a colon, a full stop or "then/run/runs/with/use":
# "ansible … runs rndc reload <zone>. ns1/ns2 get …", "unbound-control flush_zone x on both resolvers"
_KNOWN_PROGRAM = "|".join(map(re.escape, sorted(_PROGRAMS, key=len, reverse=True)))
_INLINE_KNOWN = re.compile(
    r"(?:(?<=:\s)|(?<=[.;,]\s)|(?<=\bthen\s)|(?<=\brun\s)|(?<=\bruns\s)|(?<=\bwith\s)|(?<=\busing\s)|(?<=\buse\s)|"
    rf"^[ \t]*)((?:sudo\s+)?(?:{_KNOWN_PROGRAM})(?![\w.-])(?:[ \t]+[^\s,;`()]*[^\s,;`().:]){{1,6}}?)"
    # the clause ends at punctuation or a word that starts a new clause (a name at the line's end may be one)
    r"(?=,\s|;\s|\.\s|\.?$|[ \t]+(?:on|and|then|from|for|in|first|after|before|if|when|which|so|one|every|each|"
    r"until|to)\b(?=[ \t]+\S)|[ \t]+[—–-]\s)", re.M)


def mark_inline(text: str) -> str:
    """The text with each bare command written inside prose put in backticks, so it is read as one
    command (the team's), never as words that name things ("db update" is no database); and the lines of
    a command block laid out under a line ending with ":" ("recovered by …:\n    rm /mnt/x/BALLAST")."""
    def wrap(m: re.Match[str]) -> str:
        return f"`{m.group(1)}`" if is_command_line(m.group(1)) else m.group(0)
    def wrap_known(m: re.Match[str]) -> str:
        command = m.group(1)
        words = command.split()
        program = words[1] if words[0] == "sudo" and len(words) > 1 else words[0]
        line = m.string[m.string.rfind("\n", 0, m.start()) + 1:m.start()]
        if program not in _PROGRAMS or line.count("`") % 2 or any(w.startswith("-") for w in words) or \
                {w.lower() for w in words} & (_PROSE_WORDS | _LOOSE_PROSE | _PROSE_VERBS | _PROSE_DASHES) or \
                _VERSION.fullmatch(words[words.index(program) + 1] if words[-1] != program else "") or \
                syntax_errors([runnable(command)]):
            return m.group(0)
        return f"`{command}`"
    marked = _INLINE_KNOWN.sub(wrap_known, _INLINE.sub(wrap, text))
    return _mark_blocks(marked, described_programs(marked))


def described_programs(text: str) -> frozenset[str]:
    """The programs we know, and those the text itself runs as commands (`ceph -s`, `radosgw-admin bucket
    stats --bucket x`): then its `ceph health detail` or `ceph osd set noout` is a command too."""
    spans = [m.group(1) or m.group(2) or "" for m in _SPAN.finditer(text)]
    spans += [m.group(1) for m in _LINE.finditer(text) if "`" not in m.group(1)]
    return _PROGRAMS | {_program(c) for c in spans if is_command(c.strip()) and _PROGRAM_LIKE.fullmatch(_program(c))}


def _mark_blocks(text: str, known: frozenset[str]) -> str:
    lines = text.split("\n")
    head = ""  # the last line with text before this one (as marked)
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        head_indent = len(head) - len(head.lstrip())
        opened = head.rstrip().endswith(":") and indent >= head_indent + 2
        # the block goes on under a line marked, or one that is a command line itself ("ceph -s")
        continued = indent == head_indent and (head.strip().startswith("`") and head.strip().endswith("`") or
                                               is_command_line(head.strip(), known))
        command = line.strip()
        if (opened or continued) and command and "`" not in command and \
                len(command.split()) >= 2 and _program(command) in known and not is_command_line(command, known) and \
                not set(command.lower().split()) & _PROSE_WORDS and not syntax_errors([command]):
            lines[k] = line[:indent] + f"`{command}`"
        head = lines[k]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    command: str
    own_line: bool


def _spans(description: str, known: frozenset[str]) -> list[_Span]:
    """Commands in backticks or after "$ ", and whole command lines, in the order they are written."""
    out = [_Span(m.start(), m.end(), (m.group(1) or m.group(2) or "").strip(), False)
           for m in _SPAN.finditer(description)]
    taken = [(sp.start, sp.end) for sp in out]
    for m in _LINE.finditer(description):
        if "`" not in m.group(1) and not any(a < m.end() and m.start() < b for a, b in taken) and \
                is_command_line(m.group(1), known):
            out.append(_Span(m.start(1), m.end(), m.group(1).strip(), True))
            taken.append((m.start(1), m.end()))
    for m in _AFTER_COLON.finditer(description):
        if "`" not in m.group(1) and not any(a < m.end() and m.start(1) < b for a, b in taken) and \
                is_command_line(m.group(1)):
            out.append(_Span(m.start(1), m.end(), m.group(1).strip(), False))
            taken.append((m.start(1), m.end()))
    for m in _LABELLED_SCRIPT.finditer(description):
        command = m.group(1).strip()
        if "`" not in command and _SCRIPT.fullmatch(_program(command)) and \
                not any(a < m.end(1) and m.start(1) < b for a, b in taken):
            out.append(_Span(m.start(1), m.end(1), command, False))
    return sorted(out, key=lambda sp: sp.start)
# purpose by the command's own words first, then by the clause before it (first match wins)
_PURPOSES: tuple[tuple[str, str], ...] = (
    ("rollback", r"roll(?:ed|s)?[- ]?back|rollback|revert|undo|\bprevious\b|downgrade|go(?:es)? back"),
    ("restore", r"\brestore\b|point[- ]in[- ]time|\bpitr\b"),
    ("backup", r"\bbackup\b|\bback up\b|snapshot|\bdump\b"),
    ("failover", r"fail[- ]?over|switchover|promote"),
    ("drain", r"\bdrain\b|\bquiet\b|\bcordon\b|maintenance mode"),
    ("restart", r"\brestart|\bbounce\b|\brecycle\b"),
    ("reload", r"\breload\b|\bhup\b"),
    ("scale", r"\bscale\b|\bresize\b"),
    ("logs", r"\blogs?\b|journalctl|\btail\b"),
    ("health", r"\bhealth|\bping\b|\bsmoke\b|\bready\b"),
    ("status", r"\bstatus\b|\bdescribe\b|\bshow\b|\binfo\b|\bget\b"),
    ("deploy", r"\bdeploy|\brelease\b|\bship\b|roll ?out|\bupgrade\b|\bapply\b|\bsync\b|\binstall\b"),
)


@dataclass(frozen=True)
class Given:
    purpose: str
    command: str
    evidence: str


def _program(command: str) -> str:
    words = command.split()
    wrappers = ("sudo", "env", "time", "nohup", "npx", "bunx", "pnpx")  # `npx wrangler tail` runs wrangler
    while words and (words[0] in wrappers or re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0])):
        words.pop(0)
    return words[0] if words else ""


_PROSE_WORDS = frozenset("with the and is are was of a an we our you it this that when if but".split())
# and, for a program the list does not know, the words that make "use -f to follow" a sentence
_LOOSE_PROSE = frozenset("to for on in by from then use run try see or not".split())
# a sentence about a program, not a command of it: "nginx 1.25 runs in a container", "redis sits behind it"
_PROSE_VERBS = frozenset("runs sits serves handles listens fronts proxies terminates holds keeps stores talks needs "
                         "has had does will can should must may might would could gets lives sends receives".split())
# "nginx — TLS termination": a dash or arrow between words is a gloss, never an argument
_PROSE_DASHES = frozenset("— – -> => →".split())
_VERSION = re.compile(r"v?\d+(?:\.\d+)*(?:\.x)?")


def is_command_line(line: str, known: frozenset[str] = _PROGRAMS) -> bool:
    """A whole line that is a command as written, not prose ("az functionapp deployment slot swap -g rg …"):
    a known program, then arguments with at least one flag."""
    found = _LINE.fullmatch(line.strip()) if line.strip() else None
    if found is None or "`" in found.group(1) or not is_command(found.group(1), known):
        return False
    # prose that starts with a program's name ("docker run with --restart=always, no compose) on the VM …")
    # has clause punctuation outside quotes; a command line has none
    bare = re.sub(r"'[^']*'|\"[^\"]*\"", "''", found.group(1))
    if re.search(r"[,.;]\s|[.,;:]$|\)\s+[a-z]", bare):
        return False
    # English function words stand between a command's arguments only in prose ("docker run with …")
    return not set(bare.lower().split()) & _PROSE_WORDS


def command_line_part(line: str) -> str:
    """The command of a command line, its trailing aside left out ("x.sh --since 6h   (wraps …)")."""
    found = _LINE.fullmatch(line.strip())
    return found.group(1).strip() if found is not None else line.strip()


def is_command(text: str, known: frozenset[str] = _PROGRAMS) -> bool:
    """A span that is a command line: a known program (`known`: ours, or also those the text runs) or a
    script, and at least one argument."""
    text = text.strip()
    if len(text.split()) < 2 or text.endswith(":"):
        return False
    program = _program(text)
    if program in known or _SCRIPT.fullmatch(program) is not None:
        return True
    # a program this list does not know, written as a command: a flag or a pipe after it, no prose
    words = text.split()
    return _PROGRAM_LIKE.fullmatch(program) is not None and (
        any(re.fullmatch(r"--?[a-zA-Z][\w-]*(?:=\S*)?", w) for w in words[1:]) or " | " in text) and \
        not set(w.lower() for w in words) & (_PROSE_WORDS | _LOOSE_PROSE)


def is_quoted_command(text: str, known: frozenset[str] = _PROGRAMS) -> bool:
    """A span the team put in backticks in an instruction ("first thing: `jjjctl alarms`"): a command
    when `is_command` says so, or when it is a program-like word and arguments with no prose among them
    (backticks are the team's own mark of a command; "`the queue`" has prose, "`x`" no argument)."""
    if is_command(text, known):
        return True
    words = text.split()
    return len(words) >= 2 and _PROGRAM_LIKE.fullmatch(words[0]) is not None and len(words[0]) >= 3 and \
        not {w.lower() for w in words} & (_PROSE_WORDS | _LOOSE_PROSE)


def _flag_value_at(command: str, at: int) -> bool:
    """Whether the word at `at` follows a flag (`-h logs`, `-u ready`): likely that flag's value, a name."""
    words = command[:at].split()
    return bool(words) and not command[:at].endswith(("/", "=", ":")) and words[-1].startswith("-") and \
        command[at - 1].isspace()


def _purpose(command: str, before: str) -> str:
    """The words just before the command say what it is for ("rollback is", "to go back, run"); else
    the command's own words ("deploy:rollback", "systemctl restart")."""
    clause = re.split(r"[.;\n`]", before)[-1]
    # a command that only looks ("systemctl status jenkins" after "safe-restart done,") is what it does
    # (the word that comes first says it, a flag's value last: `systemctl status ready` looks at a unit named
    # "ready", `redis-cli -h logs ping` pings a host named "logs")
    looks = sorted((_flag_value_at(command, found.start()), found.start(), p) for p, pattern in _PURPOSES
                   if p in ("logs", "health", "status") if (found := re.search(pattern, command, re.I)) is not None)
    changes = [p for p, pattern in _PURPOSES if p not in ("logs", "health", "status") and re.search(pattern, command,
                                                                                                  re.I)]
    if looks and not changes:
        return looks[0][2]
    for text in (clause, command):
        for purpose, pattern in _PURPOSES:
            if re.search(pattern, text, re.I):
                return purpose
    return "other"


# "NEVER `docker compose down -v`", "don't run `kubectl delete pvc`", "do not use FLUSHALL", "avoid ...":
# the words right before a command that forbid it
_FORBIDS = re.compile(r"(?i)\b(?:never|don'?t|do\s+not|must\s+not|mustn'?t|should\s+not|shouldn'?t|avoid|no|"
                      r"not)\b(?:\s+(?:ever|run|use|do|type|try|call|execute|issue|just|to))*\s*[:,-]?\s*[\"'“]?$")
# a bare command after such words, up to the end of its clause: "never run docker compose down -v on prod"
_BARE_AFTER = re.compile(r"(?i)\b(?:never|don['’]?t|do\s+not|must\s+not|avoid|no)\b"
                         r"(?:\s+(?:ever|run|use|do|type|execute))*"
                         r"\s+([a-z][\w.-]*(?:\s+[^\s.,;:!?()`'\"]+){1,8})")


def _forbidden_before(description: str, start: int) -> bool:
    line_start = description.rfind("\n", 0, start) + 1
    return _FORBIDS.search(description[max(line_start, start - 60):start]) is not None or \
        _under_dont_heading(description, start)


# "## Please don't", "Do not", "Don't:", "Never do:", "Red lines": a heading whose list items are forbidden
# ("### Things you must not do", "Never, ever:", "What you should not touch"): a short line whose words forbid
DONT_HEADING = re.compile(r"(?i)^\s*(?:#{1,6}\s*|=+\s*)?[*_]*(?:please\s+)?(?:(?:things|what|stuff|commands)\s+"
                           r"(?:(?:you|we|one|to)\s+)?(?:must|should|shall|may)\s+(?:never|not)\b|"
                           r"(?:things|what)\s+(?:you\s+)?(?:never|not)\s+to\b|"
                           r"don['’]?t|do\s+not|never(?:\s+do)?|forbidden|not\s+allowed|red\s+lines?|"
                           r"things\s+(?:not\s+to|never\s+to)\s+do|what\s+not\s+to\s+do)\b[^\n]{0,30}?:?\s*=*\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


def _under_dont_heading(description: str, start: int) -> bool:
    """The command opens (or is the first thing of) an item of a list under a "don't" heading."""
    lines = description[:start].split("\n")
    current = lines[-1]
    item = LIST_ITEM.match(current)
    # the command the item starts with ("- `gcloud run deploy` by hand"), or one in its first clause that
    # names what is forbidden ("- scale anything by hand (`oc scale`) or …"); not the way to do it instead
    # ("- delete pods; use `kubectl rollout restart`", "- … instead: `x`")
    if item is None or re.search(r"[;:—–]|\b(?:instead|use|rather|prefer|via|with|through|then)\b",
                                 current[item.end():], re.I):
        return False
    for line in reversed(lines[:-1]):
        if not line.strip() or LIST_ITEM.match(line) or line.startswith((" ", "\t")):
            continue  # another item, a wrapped line or a blank between items
        return DONT_HEADING.match(line) is not None
    return False


def _spoken_as_verb(description: str, start: int) -> bool:
    """"Anything you `kubectl edit` or scale is reverted": the command is the sentence's verb, not one given."""
    line_start = description.rfind("\n", 0, start) + 1
    return re.search(r"(?i)\b(?:you|we|they|someone|anyone|nobody)\s*[`\"']?$",
                     description[max(line_start, start - 40):start]) is not None


# "`nomad job stop -purge x` was run to reset a stuck deployment: 11 minutes of outage": what broke it
_CAUSE_AFTER = re.compile(r"(?i)^[`'\"]?\s*(?:\)\s*)?(?:was|were|got|had\s+been)\s+(?:run|executed|used|typed|issued|"
                          r"applied)\b|^[`'\"]?\s*(?:caused|broke|took\s+down|wiped|deleted|led\s+to)\b")


def _incident_cause(description: str, end: int) -> bool:
    """The command is what someone ran that caused an incident, not a procedure the team gives."""
    return _CAUSE_AFTER.match(description[end:end + 60]) is not None


def forbidden_commands(description: str) -> list[Given]:
    """Every command the description forbids ("NEVER `docker compose down -v`: the volume is the only copy"),
    with the line it came from: such a command is a rule, never one of the team's own commands."""
    out: list[Given] = []
    for found in _SPAN.finditer(description):
        command = (found.group(1) or found.group(2) or "").strip()
        if is_command(command) and (_forbidden_before(description, found.start()) or
                                    _incident_cause(description, found.end())):
            out.append(Given("forbidden", command, line_at(description, found.start(), found.end())))
    for found in _BARE_AFTER.finditer(description):
        # the clause's tail says where or why, not what: "... on prod", "... unless the majority is lost"
        command = re.split(r"(?i)\s+(?:on|in|unless|while|when|during|before|after|for|because|without|if|or|"
                           r"and|as|against|since|until)(?![\w-])", found.group(1))[0]
        if is_command(command) and not any(command in g.command or g.command in command for g in out):
            out.append(Given("forbidden", command, line_at(description, found.start(), found.end())))
    at = 0
    never_table = False
    for line in description.split("\n"):  # "Do not" then "* rabbitmqctl reset / force_reset a node"
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.strip().startswith("|") else []
        if cells and DONT_HEADING.match(cells[0]):
            never_table = True  # "| never | why |": each row's first cell is a forbidden command
        elif cells and never_table and not re.fullmatch(r":?-+:?", cells[0]):
            command = re.split(r"\s+/\s+", cells[0].strip("` "))[0]
            if is_command(command) and not any(command == g.command for g in out):
                out.append(Given("forbidden", command, line.strip()))
        elif not cells:
            never_table = False
        item = LIST_ITEM.match(line)
        if item is not None and _under_dont_heading(description, at + item.end()):
            text = line[item.end():].strip()
            command = re.split(r"(?i)\s+(?:/|on|in|unless|while|when|during|before|after|for|because|without|if|or|"
                               r"and|as|a|an|the|by|to|at|--?\s)(?![\w-])|[:;,(—–]", text)[0].strip()
            if len(command.split()) >= 2 and is_command(command) and not any(
                    command in g.command or g.command in command for g in out):
                out.append(Given("forbidden", command, line.strip()))
        at += len(line) + 1
    return out


def runnable(command: str) -> str:
    """The team's command with each `<job>` / `[pod-name]` / `{{ host }}` placeholder made a guarded shell
    variable ("$JOB", declared first with `${JOB:?…}`): pasted as written, bash reads `<job>` as a
    redirection and `[pod-name]` as a glob."""
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", lambda m: " " * len(m.group(0)), command)
    # unquoted, even a word tools print ("<none>") is a redirection to bash
    bare = re.findall(r"(?<![<\w])<[A-Za-z][\w-]*>", unquoted)
    found = list(dict.fromkeys([*find_placeholders(command), *bare]))
    if not found:
        return command
    declared: list[str] = []
    for placeholder in found:
        words = re.findall(r"[A-Za-z0-9]+", placeholder)
        var = "_".join(w.upper() for w in words)[:40] or "VALUE"
        if not re.match(r"[A-Z_]", var):
            var = f"V_{var}"
        command = _substitute(command, placeholder, var)
        if var not in declared:
            declared.append(var)
    said = {v: " ".join(re.findall(r"[A-Za-z0-9]+", v)).lower() for v in declared}
    guards = [f'{v}="${{{v}:?set {v} to the {said[v]} (a value the description leaves open)}}"' for v in declared]
    return "\n".join([*guards, command])


def spoken(command: str) -> str:
    """The command with its placeholders as plain upper-case words, for quoting it in a comment or in
    prose (`kubectl delete job <name>` -> `kubectl delete job NAME`): a comment line is still checked."""
    for placeholder in dict.fromkeys(find_placeholders(command)):
        command = command.replace(placeholder, "_".join(w.upper() for w in re.findall(r"[A-Za-z0-9]+", placeholder)))
    return command


def _substitute(command: str, placeholder: str, var: str) -> str:
    """Each `placeholder` replaced by "$VAR", closing and reopening a single-quoted string around it."""
    out: list[str] = []
    quote = ""
    k = 0
    while k < len(command):
        if command.startswith(placeholder, k):
            out.append(f"'\"${var}\"'" if quote == "'" else f"${{{var}}}" if quote == '"' else f'"${var}"')
            k += len(placeholder)
            continue
        ch = command[k]
        if ch in "'\"" and (not quote or quote == ch) and (quote == "'" or k == 0 or command[k - 1] != "\\"):
            quote = "" if quote else ch
        out.append(ch)
        k += 1
    return "".join(out)


def line_at(description: str, start: int, end: int) -> str:
    """The line of `description` the span start..end stands on (300 characters at most)."""
    line_start = description.rfind("\n", 0, start) + 1
    line_end = description.find("\n", end)
    return description[line_start:line_end if line_end != -1 else len(description)].strip()[:300]


def team_commands(description: str) -> list[Given]:
    """Every command the description writes out, with its purpose and the sentence it came from (not one
    it forbids)."""
    out: list[Given] = []
    seen: set[str] = set()
    description = mark_inline(description)
    known = described_programs(description)
    for found in _spans(description, known):
        command = found.command
        if command in seen or not is_command(command, known) or _forbidden_before(description, found.start) or \
                _spoken_as_verb(description, found.start) or _incident_cause(description, found.end):
            continue
        seen.add(command)
        start = description.rfind("\n", 0, found.start) + 1
        if found.own_line:  # a command on a line of its own: the line before says what it is for
            start = description.rfind("\n", 0, max(0, start - 1)) + 1
        before = description[max(start, found.start - 120):found.start]
        if found.own_line:
            before = " ".join(before.split())  # the line before and this one's indent: one clause
        line_end = description.find("\n", found.end)
        evidence = description[start:line_end if line_end != -1 else len(description)].strip()
        out.append(Given(_purpose(command, before), runnable(command), evidence[:300]))
    # what bash cannot parse is prose that looked like a command: the runbook would fail its own checks
    broken = syntax_errors([g.command for g in out]) if out else {}
    return [g for k, g in enumerate(out) if k not in broken]
