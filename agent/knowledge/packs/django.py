"""Django: migrations that make a rollback unsafe, deploy checks, static files, runaway ORM queries."""

from __future__ import annotations

import re

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, component_form, exec_in, q, snake
from agent.runbook import Command, Issue, Step


class DjangoPack(KeywordPack):
    name = "django"
    summary = "Django: unapplied or irreversible migrations vs rollback, manage.py check --deploy, static files"
    keywords = ("django",)
    order = 60
    examples = ("Customer portal written in Django 4.2, served by Gunicorn",)
    negatives = ("Flask API on Gunicorn", "Rails app on Puma")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        # On hosts manage.py needs the app's virtualenv; in an image the interpreter is already the app's.
        on_hosts = component_form(ctx, "django") == "host"
        # On VMs manage.py runs from the app directory with the app's virtualenv and settings.
        found = re.search(r"(?<![\w/])(/(?:srv|opt|var/www|home|app|apps)/[\w.-]+(?:/[\w.-]+)*)", f.description)
        app_dir = f.name("django.dir", found.group(1) if found else f"/srv/{f.service}")

        def manage(args: str) -> str:
            if on_hosts:
                return f"cd {q(app_dir)} && sudo -u www-data ./venv/bin/python manage.py {args}"
            return exec_in(ctx, f.service, f"python manage.py {args}")

        pending = cmd("Migrations not yet applied (run before and after a deploy)",
                      manage("showmigrations --plan") + " | grep -F '[ ]'",
                      "no output after a deploy; before it, the list the release will apply")
        check = cmd("Django's production checks", manage("check --deploy --fail-level WARNING"),
                    "'System check identified no issues'")
        unmigrate = cmd(
            "Reverse one app's migrations to the state the previous release expects",
            f"APP={q(f.name('django.app', snake(f.service)))}  # the Django app whose migration the bad release added\n"
            "TARGET=\"${TARGET:?"
            "set TARGET: the last migration name the previous release has (showmigrations APP)}\"\n"
            + manage("migrate \"$APP\" \"$TARGET\" --plan") + "\n"
            + manage("migrate \"$APP\" \"$TARGET\""),
            "the --plan output lists only the release's migrations, then they are unapplied",
            warning="Reversing a migration that dropped or rewrote a column cannot bring the data back "
                    "(irreversible migrations fail outright). Take a database snapshot first; prefer rolling the "
                    "code back only when the previous release tolerates the new schema.")
        issue = Issue(
            title="Django: errors after a deploy with migrations",
            symptoms="500s with ProgrammingError/OperationalError ('column ... does not exist', 'relation ... does "
                     "not exist') right after a release; or a rollback that breaks on the new schema.",
            alert=None,
            check=[pending, check],
            fix=[Step(action="Unapplied migrations: the release expects a schema that is not there; apply them "
                             "(on one host only), then restart the app servers.",
                      command=cmd("Apply pending migrations (one host only)", manage("migrate --noinput"),
                                  "'Applying ...  OK' for each, then 'No migrations to apply'")),
                 Step(action="Rolling the code back past a migration: the old code must work with the new schema; "
                             "if it does not, unapply the release's migrations first.", command=unmigrate)],
            verify="No ProgrammingError/OperationalError in the logs and 5xx under 1% for 15 minutes.",
            escalate="If a migration cannot be applied or reversed, page the service owner and the database "
                     "owner before retrying.",
        )
        static: list[Command] = [cmd("Collect static files for the deployed release",
                                     manage("collectstatic --noinput"),
                                     "'N static files copied'; missing CSS/JS after a deploy means it was skipped")]
        return Contribution(
            prerequisites=[f"Shell where manage.py runs ({app_dir} on a host, with the app's settings; the commands "
                           "assume a virtualenv in ./venv and the www-data user: match your unit's User= and "
                           "ExecStart)" if on_hosts else "kubectl/docker exec into an app container for manage.py"],
            deploy_caveats=["Run migrations once per release (not on every host), before switching traffic; "
                            "a release whose migrations drop or rename columns cannot be rolled back by "
                            "redeploying the old code alone — see 'Django: errors after a deploy with migrations'."],
            issues=[issue],
            maintenance_commands=[check, *static],
            cheatsheet=[pending, check],
        )


PACK = DjangoPack()
