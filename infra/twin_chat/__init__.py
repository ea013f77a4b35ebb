"""The Digital Twin Chat stack (seed 003) and the constructs it is assembled from.

``storage`` (frontend, memory and access-log buckets), ``secrets`` (the LLM API
key under a rotating customer-managed key), ``iam`` (the function's
least-privilege role), ``compute`` (the Lambda running the real app),
``api`` (HTTP API), ``cdn`` (CloudFront), ``monitoring`` (alarms to SNS and a
dashboard); :class:`TwinChatStack` wires them and exports the five outputs.
"""

from infra.twin_chat.stack import OUTPUT_NAMES, TwinChatStack

__all__ = ["OUTPUT_NAMES", "TwinChatStack"]
