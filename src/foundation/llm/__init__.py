"""LLM port: chat with tool calls and streaming, behind one :class:`ChatModel` interface.

Adapters: :class:`OfflineChatModel` (default; a deterministic engine that calls
tools through a pluggable :class:`Planner`, no model weights), :class:`BedrockChatModel`
(Amazon Bedrock Converse) and :class:`OpenAiCompatibleChatModel` (OpenAI, Ollama,
vLLM). :func:`run_tool_loop` and :func:`stream_tool_loop` run the tools a model asks
for until it answers, the same way for every adapter.
"""

from foundation.llm.base import ChatModel
from foundation.llm.bedrock import BedrockChatModel
from foundation.llm.exceptions import (
    LlmRateLimitedError,
    LlmRequestError,
    LlmUnavailableError,
    ToolLoopError,
)
from foundation.llm.messages import (
    Block,
    ChatRequest,
    ChatResponse,
    Message,
    MessageStop,
    StopReason,
    StreamEvent,
    TextBlock,
    TextDelta,
    ToolResultBlock,
    ToolSpec,
    ToolUseBlock,
    ToolUseEvent,
    Usage,
    collect_stream,
)
from foundation.llm.offline import LexicalPlanner, OfflineChatModel, PlannedCall, Planner
from foundation.llm.openai_compat import OpenAiCompatibleChatModel
from foundation.llm.tools import (
    LoopEvent,
    Tool,
    ToolCallRecord,
    ToolLoopResult,
    run_tool_loop,
    stream_tool_loop,
)

__all__ = [
    "BedrockChatModel",
    "Block",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "LexicalPlanner",
    "LlmRateLimitedError",
    "LlmRequestError",
    "LlmUnavailableError",
    "LoopEvent",
    "Message",
    "MessageStop",
    "OfflineChatModel",
    "OpenAiCompatibleChatModel",
    "PlannedCall",
    "Planner",
    "StopReason",
    "StreamEvent",
    "TextBlock",
    "TextDelta",
    "Tool",
    "ToolCallRecord",
    "ToolLoopError",
    "ToolLoopResult",
    "ToolResultBlock",
    "ToolSpec",
    "ToolUseBlock",
    "ToolUseEvent",
    "Usage",
    "collect_stream",
    "run_tool_loop",
    "stream_tool_loop",
]
