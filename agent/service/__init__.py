"""The service model and everything that builds or amends it.

    model.py    the `ServiceModel` (pydantic): components, names by role, settings, relationships,
                figures, people, topology; every value with its provenance
    files.py    YAML read / write (`tasks/runbook-<slug>.service.yaml`, `--service-model FILE`)
    merge.py    folding two readings together (description + repository, offline + LLM, corrections)

Inputs (a description, a repository, corrections, an LLM's reading) produce or amend a model;
outputs (the runbook, the grounding check) read only from it.
"""
