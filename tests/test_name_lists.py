"""Names listed after a plural role noun are all kept: "databases temporal + temporal_visibility", "databases
orders and orders_audit" (blind batch i: only the identifier survived, or none; a plain word that is part of a
listed sibling was dropped as a short reference to it). Property-based: random names, separators, owners.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.text import parse

WORD = st.text(alphabet="bcdfghklmnprstvz", min_size=3, max_size=6).map(lambda w: w + "al")


@settings(max_examples=60, deadline=None)
@given(word=WORD, suffix=st.sampled_from(["_visibility", "_audit", "-archive", "_v2"]),
       sep=st.sampled_from([" + ", " and ", ", ", " & "]),
       lead=st.sampled_from(["persistence = Cloud SQL for PostgreSQL instance pg-prod (regional HA), databases",
                             "It uses PostgreSQL instance pg-prod, databases", "MySQL on RDS, databases"]))
def test_every_database_of_a_list_is_bound(word: str, suffix: str, sep: str, lead: str) -> None:
    second = word + suffix
    model = parse(f"orders-api is a Go API on EKS. {lead} {word}{sep}{second}; every pod reaches it.")
    databases = [n.value for c in model.components for n in c.names if n.role == "database"]
    assert databases == [word, second], databases


def test_a_plain_word_beside_its_full_name_is_still_a_reference() -> None:
    """What the list rule must not break: 'the inbox bucket' beside s3://…-inbox-prod is that bucket."""
    model = parse("recon-job is a Python job on ECS. Files land in the inbox bucket (s3://ledgerx-recon-inbox-prod).")
    buckets = [n.value for c in model.components for n in c.names if n.role == "bucket"]
    assert buckets == ["s3://ledgerx-recon-inbox-prod"], buckets
