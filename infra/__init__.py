"""The AWS CDK app for every Skyline system.

``infra.app`` assembles one environment's stacks from the explicit props in
:mod:`infra.config`; :mod:`infra.constructs` holds the secure defaults every
system reuses; each system keeps its stack in its own package
(:mod:`infra.twin_chat` for the Digital Twin Chat). The CDK libraries come with
the project's ``infra`` extra.
"""
