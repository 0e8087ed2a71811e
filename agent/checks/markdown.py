"""Reading any Markdown runbook into what the checks look at: headings, code blocks, inline code, links.

Uses markdown-it-py (CommonMark, the parser `rich` already ships) so fences inside list items,
indented code and tables are found the way GitHub renders them. Line numbers are 1-based lines of
the file. YAML front matter is blanked out first (it would parse as a heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)\n.*?\n\1[ \t]*\n", re.S)
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")

# Fence tags read as shell; everything else is read by its own tag (sql, promql, redis, ...).
SHELL_TAGS = {
    "bash",
    "sh",
    "shell",
    "zsh",
    "ksh",
    "console",
    "shell-session",
    "shellsession",
    "terminal",
    "shell-script",
    "bash-session",
    "sh-session",
    "cli",
    "cmd",
}
SQL_TAGS = {"sql", "psql", "postgresql", "postgres", "pgsql", "plpgsql", "mysql", "mariadb", "bigquery", "bq",
            "googlesql", "sqlite", "sqlite3", "tsql", "mssql", "clickhouse", "snowflake", "hql", "sparksql",
            "trino", "cql"}
PROMQL_TAGS = {"promql", "prometheus", "prom"}
REDIS_TAGS = {"redis", "redis-cli"}


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int
    anchor: str


@dataclass
class CodeBlock:
    info: str  # the fence's info string as written ("" when untagged or indented)
    tag: str  # first word of info, lower case
    language: str  # what the checks read it as: shell, sql, promql, redis, other
    content: str
    line: int  # line of the first content line
    fence_line: int  # line of the opening fence (== line for indented code)
    section: str  # nearest H2 (or H1) heading text
    heading: str  # nearest heading of any level
    before: str  # the Markdown right before the block (up to two chunks, same section) — for warnings
    indented: bool = False
    after: str = ""  # the paragraph right after the block (same section, no other block between)
    end: int = 0  # 0-based line just past the block


@dataclass(frozen=True)
class InlineCode:
    text: str
    line: int
    section: str
    context: str  # the paragraph (or list item) holding it


@dataclass(frozen=True)
class Link:
    target: str
    line: int
    section: str


@dataclass
class Document:
    source: str
    text: str
    lines: list[str]
    headings: list[Heading] = field(default_factory=list)
    blocks: list[CodeBlock] = field(default_factory=list)
    inline: list[InlineCode] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def section_of(self, line: int) -> str:
        current = ""
        for h in self.headings:
            if h.line > line:
                break
            if h.level <= 2:
                current = h.text
        return current

    def h2_sections(self) -> list[tuple[Heading, int]]:
        """Each H2 heading with the last line of its section (up to the next H1/H2)."""
        top = [h for h in self.headings if h.level <= 2]
        out: list[tuple[Heading, int]] = []
        for i, h in enumerate(top):
            if h.level != 2:
                continue
            end = top[i + 1].line - 1 if i + 1 < len(top) else len(self.lines)
            out.append((h, end))
        return out


def github_anchor(text: str) -> str:
    """GitHub's heading id: lower case, punctuation dropped (not `-` or `_`), spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _language(tag: str, content: str) -> str:
    if tag in SHELL_TAGS:
        # Public runbooks put PromQL in console/bash fences; read it as what it is.
        return "promql" if looks_like_promql(content) else "shell"
    if tag in SQL_TAGS:
        return "sql"
    if tag in PROMQL_TAGS:
        return "promql"
    if tag in REDIS_TAGS:
        return "redis"
    if tag:
        return "other"
    return guess_language(content)


_SQL_START = re.compile(
    r"^\s*(select|with|insert|update|delete|drop|truncate|alter|create|vacuum|analyze|explain|show|begin|"
    r"grant|revoke|reindex|set)\b",
    re.I,
)
_PROMQL_LIKE = re.compile(
    r"^\s*(sum|avg|min|max|count|rate|irate|increase|histogram_quantile|topk|bottomk|absent|delta|"
    r"count_over_time|avg_over_time|max_over_time|sum_over_time|label_replace|predict_linear|time)\s*(\(|by|without)"
    r"|^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}\s*(\[[^\]]+\])?\s*([<>=!]=?\s*[\d.]+)?\s*$"
)
# First words that make an untagged block a shell block: the tools the catalogue marks `shell-block`
# (agent/checks/catalogue/data) and the shell's own compound commands.
_SHELL_KEYWORDS = frozenset({"for", "if", "while"})


@cache
def known_commands() -> frozenset[str]:
    from agent.checks import catalogue

    return catalogue.marked("shell-block") | _SHELL_KEYWORDS


def looks_like_promql(content: str) -> bool:
    """Not a shell command (no prompt, no known command first) and it parses as PromQL."""
    lines = [ln for ln in content.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "//"))]
    if not lines or any(re.match(r"^\s*\$ \S", ln) for ln in lines):
        return False
    words = lines[0].split()
    if not words or words[0] in known_commands() or "=" in words[0].split("{")[0] or not re.search(r"[({\[]", content):
        return False
    import promql_parser

    chunks: list[list[str]] = [[]]
    for ln in content.splitlines():  # queries separated by blank lines, comments dropped
        if not ln.strip():
            chunks.append([])
        elif not ln.lstrip().startswith(("#", "//")):
            chunks[-1].append(ln)
    def parses(text: str) -> bool:
        try:
            promql_parser.parse(re.sub(r"\$\{?[A-Za-z_]\w*\}?", "x", text))
        except (ValueError, TypeError):
            return False
        return True

    # Each chunk is one query, or one query per line.
    return all(parses("\n".join(c)) or all(parses(ln) for ln in c) for c in chunks if c)


def guess_language(content: str) -> str:
    """An untagged block: shell when it has `$ ` prompts or starts with a known command, else SQL or
    PromQL when it parses like them, else "other" (output, config, prose)."""
    lines = [ln for ln in content.splitlines() if ln.strip()]
    if not lines:
        return "other"
    if any(re.match(r"^\s*\$ \S", ln) for ln in lines):
        return "shell"
    first = next((ln for ln in lines if not ln.lstrip().startswith("#")), "")
    word = first.split()[0] if first.split() else ""
    if re.match(r"^[A-Z_][A-Z0-9_]*=", word):
        return "shell"
    if word in known_commands():
        return "shell"
    if _SQL_START.match(first) and (";" in content or len(lines) <= 3):
        return "sql"
    if _PROMQL_LIKE.match(first) or looks_like_promql(content):
        return "promql"
    return "other"


def _blank_front_matter(text: str) -> str:
    m = _FRONT_MATTER.match(text)
    if not m:
        return text
    return "\n" * m.group(0).count("\n") + text[m.end() :]


# Block structure only: the checks read inline tokens' text (`content`), never their parsed children,
# so the inline rules are not run (a third of the parse).
_md = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


def _inline_text(token: Token) -> str:
    return token.content


def parse(text: str, source: str = "<string>") -> Document:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    body = _blank_front_matter(text)
    lines = body.split("\n")
    doc = Document(source=source, text=text, lines=lines)
    tokens = _md.parse(body)

    anchors: dict[str, int] = {}
    section = ""
    heading = ""
    # Line ranges of fences and headings: "before" text never crosses them.
    barrier = 0
    paragraph_stack: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            inline = tokens[i + 1]
            title = _strip_inline(inline.content)
            level = int(tok.tag[1])
            base = github_anchor(title)
            n = anchors.get(base, 0)
            anchors[base] = n + 1
            anchor = base if n == 0 else f"{base}-{n}"
            doc.headings.append(Heading(level, title, tok.map[0] + 1, anchor))
            heading = title
            if level <= 2:
                section = title
            barrier = tok.map[1]
        elif tok.type in ("fence", "code_block") and tok.map:
            indented = tok.type == "code_block"
            info = "" if indented else tok.info.strip()
            tag = info.split()[0].lower().strip("{}.") if info else ""
            tag = tag.removeprefix("language-")
            start = tok.map[0]
            before = _before(lines, barrier, start)
            doc.blocks.append(
                CodeBlock(
                    info=info,
                    tag=tag,
                    language=_language(tag, tok.content),
                    content=tok.content,
                    line=start + (1 if indented else 2),
                    fence_line=start + 1,
                    section=section,
                    heading=heading,
                    before=before,
                    indented=indented,
                    end=tok.map[1],
                )
            )
            barrier = tok.map[1]
        elif tok.type == "inline" and tok.map:
            context = tok.content
            paragraph_stack.append(context)
            for m in _INLINE_CODE.finditer(tok.content):
                offset = tok.content.count("\n", 0, m.start())
                doc.inline.append(InlineCode(m.group(2).strip(), tok.map[0] + 1 + offset, section, context))
            for m in _LINK.finditer(tok.content):
                offset = tok.content.count("\n", 0, m.start())
                doc.links.append(Link(m.group(1), tok.map[0] + 1 + offset, section))
    starts = sorted([b.fence_line - 1 for b in doc.blocks] + [h.line - 1 for h in doc.headings])
    for block in doc.blocks:
        stop = next((x for x in starts if x >= block.end), len(lines))
        chunk: list[str] = []
        for ln in lines[block.end : stop]:
            if ln.strip():
                chunk.append(ln)
            elif chunk:
                break
        block.after = "\n".join(chunk)
    return doc


def _strip_inline(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text.replace("**", "").replace("__", "").strip()


def _before(lines: list[str], barrier: int, start: int) -> str:
    """The last two non-blank chunks of lines above `start`, not above `barrier` (0-based lines)."""
    chunks: list[list[str]] = []
    current: list[str] = []
    for ln in reversed(lines[barrier:start]):
        if ln.strip():
            current.insert(0, ln)
        elif current:
            chunks.insert(0, current)
            current = []
            if len(chunks) == 2:
                break
    if current and len(chunks) < 2:
        chunks.insert(0, current)
    return "\n".join("\n".join(c) for c in chunks[-2:])
