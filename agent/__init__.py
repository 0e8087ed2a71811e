"""runbook-agent: writes operational runbooks an on-call engineer can trust, and checks them."""

__version__ = "0.1.0"
