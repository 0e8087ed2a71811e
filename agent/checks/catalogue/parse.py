"""An argv read against a tool's catalogue entry: its command path, flags (with values), positionals,
and where a wrapper's inner command starts. Anything the entry can't account for is a `problem`:
the live runner refuses such a command; the classifier treats it as not understood."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.checks.catalogue import Class, Command, Flag, Rule, Tool

_ORDER = {"read-only": 0, "streaming": 1, "wrapper": 2, "interactive": 3, "mutating": 4, "destructive": 5}
_NUMBER = re.compile(r"-\d+(\.\d+)?")


@dataclass
class FlagUse:
    flag: Flag
    value: str | None  # None for a switch
    word: str  # as written (`-n5`, `--namespace=x`, `-fsS`)
    off: bool = False  # `--watch=false`: a switch turned off


@dataclass
class Parsed:
    tool: Tool
    command: Command
    path: tuple[str, ...]
    flags: list[FlagUse] = field(default_factory=list)
    positionals: list[str] = field(default_factory=list)
    inner: list[str] | None = None  # a wrapper's inner argv
    problem: str = ""  # why the argv is not fully understood ("" when it is)
    listed: bool = True  # the command path is in the catalogue (not the tool's default)
    unknown_global: bool = False  # (lenient) an unknown flag before the command path: it may say where or how it runs

    def has(self, *names: str) -> bool:
        return any(u.flag.name in names or any(n in names for n in u.flag.names) for u in self.flags if not u.off)

    def klass(self) -> tuple[Class, str]:
        """The class with flags applied: the worst of the command's and its flags' classes, except
        that a read-only flag (`--dry-run=client`) lowers a mutating command."""
        cmd = self.command
        level: Class = cmd.klass
        reason = cmd.reason
        if cmd.bare is not None and not self.positionals:
            level, reason = cmd.bare
        base = level
        kinds = {k.name for k in self.tool.kind(self.positionals[0])} if self.positionals else set()
        for rule in cmd.rules:
            if rule.at < len(self.positionals) and _ORDER[rule.klass] > _ORDER[level] and _names(self, rule):
                level, reason = rule.klass, rule.reason
        if cmd.many is not None and len(self.positionals) > cmd.many.at and _ORDER[cmd.many.klass] > _ORDER[level]:
            level, reason = cmd.many.klass, cmd.many.reason
        lowered = raised = False  # a read-only flag lowers the command's own class, never a flag's
        for use in self.flags:
            if use.off or kinds & set(use.flag.except_kinds):
                continue
            for w in use.flag.when:
                if use.value is not None and re.fullmatch(w.pattern, use.value, re.I):
                    if w.klass == "read-only":
                        lowered = True
                    else:
                        raised = raised or w.klass in ("mutating", "destructive")
                        if _ORDER[w.klass] > _ORDER[level]:
                            level, reason = w.klass, w.reason
            k = use.flag.klass
            if k == "read-only":
                lowered = True
            elif k is not None:
                raised = raised or k in ("mutating", "destructive")
                if _ORDER[k] > _ORDER[level]:
                    level, reason = k, use.flag.reason
        if lowered and not raised and level in ("mutating", "streaming") and level == base:
            return "read-only", ""
        return level, reason


def _names(parsed: Parsed, rule: Rule) -> bool:
    word = parsed.positionals[rule.at]
    if word.lower() in rule.words:
        return True
    return bool(rule.mark) and any(rule.mark in k.marks for k in parsed.tool.kind(word))


def _is_flag(word: str) -> bool:
    return word.startswith("-") and word != "-" and not _NUMBER.fullmatch(word)


def parse(tool: Tool, args: list[str], lenient: bool = False) -> Parsed:
    """Read `args` (the words after the tool's name) against the tool's entry. `lenient` (the danger
    classifier): an unknown flag is noted as the problem and passed over as a switch, so the flags after
    it still count (`kubectl delete --cascade=orphan pod x --force`); the live runner never reads leniently."""
    root = tool.commands.get(())
    command = root or tool.default
    out = Parsed(tool, command, (), listed=root is not None or not tool.has_subcommands)
    path: tuple[str, ...] = ()
    resolved = not tool.has_subcommands
    i = 0
    n = len(args)

    def take_value(flag: Flag, attached: str | None, word: str) -> bool:
        nonlocal i
        if attached is not None:
            out.flags.append(FlagUse(flag, attached, word))
            return True
        if i >= n:
            out.problem = f"{word} needs a value"
            return False
        out.flags.append(FlagUse(flag, args[i], word))
        i += 1
        return True

    while i < n:
        word = args[i]
        i += 1
        current = command if resolved or path else None
        if word == "--":
            if command.inner is not None and command.inner.after == "--":
                out.inner = args[i:]
            else:
                out.positionals.extend(args[i:])
            break
        if _is_flag(word):
            name, eq, attached = word.partition("=")
            flag = tool.flag(word, current) or tool.flag(name, current)
            if flag is not None and tool.flag(word, current) is flag:
                name, eq, attached = word, "", ""
            if flag is not None:
                if flag.name == "--*":  # a parameter of a read operation: a value unless a flag follows
                    if eq:
                        out.flags.append(FlagUse(flag, attached, word))
                    elif i < n and not args[i].startswith("-"):
                        out.flags.append(FlagUse(flag, args[i], word))
                        i += 1
                    else:
                        out.flags.append(FlagUse(flag, None, word))
                    continue
                if flag.optional_value:
                    out.flags.append(FlagUse(flag, attached if eq else None, word))
                elif flag.takes_value:
                    if not take_value(flag, attached if eq else None, word):
                        return out
                elif eq:
                    if attached.lower() not in ("true", "false"):
                        out.problem = f"{name} takes no value"
                        return out
                    out.flags.append(FlagUse(flag, None, word, off=attached.lower() == "false"))
                else:
                    out.flags.append(FlagUse(flag, None, word))
                if command.inner is not None and command.inner.flag in flag.names:
                    out.inner = list(_split_inner(out.flags[-1].value or ""))
                continue
            if word.startswith("--") or len(word) == 2:
                out.problem = out.problem or f"unknown flag {name}"
                out.unknown_global = out.unknown_global or (tool.has_subcommands and not path and not resolved)
                if lenient:
                    continue
                return out
            # Combined short flags: -fsS, -Atc, -n5, -XPOST.
            for j in range(1, len(word)):
                short = "-" + word[j]
                flag = tool.flag(short, current)
                if flag is None:
                    out.problem = out.problem or f"cannot read {word}: unknown flag {short}"
                    out.unknown_global = out.unknown_global or (tool.has_subcommands and not path and not resolved)
                    if lenient:
                        break
                    return out
                rest = word[j + 1 :]
                if flag.takes_value:
                    if not take_value(flag, rest.removeprefix("=") if rest else None, word):
                        return out
                    break
                out.flags.append(FlagUse(flag, None, word))
            continue
        if not resolved and not out.positionals:
            candidate = (*path, word)
            found = tool.lookup(candidate)
            if found is not None or tool.is_subcommand_prefix(candidate):
                path = candidate
                if found is not None:
                    command = out.command = found
                    out.path = path
                    out.listed = True
                if not tool.is_subcommand_prefix(candidate):
                    resolved = True
                continue
            if path and tool.lookup(path) is not None:
                resolved = True
            else:
                out.listed = False
                out.path = (*path, word)
                command = out.command = tool.default
                resolved = True
                continue
        out.positionals.append(word)
        if command.inner is not None and command.inner.positional is not None:
            if len(out.positionals) == command.inner.positional + 1:
                out.inner = [out.positionals.pop(), *args[i:]]
                break
    if path and tool.lookup(path) is None:
        out.listed = False
        out.path = path
        command = tool.default
    out.command = command
    return out


def _split_inner(text: str) -> list[str]:
    from agent.checks import shellwords

    parsed = shellwords.parse(text)
    return parsed.commands[0].argv if len(parsed.commands) == 1 else [text]
