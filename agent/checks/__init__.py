"""Checks on runbooks as Markdown or as commands; none of them imports the generator."""
