"""Digital Twin Chat: talk to an AI twin of a person described by persona files.

The persona (``me.txt``, an optional PDF profile and a style guide) lives in the
memory bucket next to one conversation object per session. :mod:`twin_chat.persona`
loads and indexes it, :mod:`twin_chat.memory` keeps conversations with
optimistic concurrency and a bounded context, :mod:`twin_chat.chat` answers
through any provider of the foundation's LLM port (offline by retrieval), and
:mod:`twin_chat.api` serves it all over HTTP, locally and in Lambda.
"""

__all__: list[str] = []
