"""The sandbox agent's "LLM": its script in agents.toml behind livekit-agents' `llm.LLM` interface.

The reply is to what the person said since the agent last spoke (their last messages, together: the
recogniser may cut one question in two, and a model would answer the whole): the first script line
with a keyword in it, else the fallback that repeats what was understood (`SandboxAgent.reply_to`);
the call's variables are rendered in, as in the greeting.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from livekit.agents import APIConnectOptions, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

from .agents import SandboxAgent, render

MAX_HEARD_CHARS = 200  # the fallback repeats what was heard; keep a pasted essay from being read out


class ScriptLLM(llm.LLM):
    def __init__(self, agent: SandboxAgent, variables: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.agent = agent
        self.variables = dict(variables or {})

    @property
    def model(self) -> str:
        return f"script:{self.agent.name}"

    @property
    def provider(self) -> str:
        return "sandbox"

    def reply(self, heard: str) -> str:
        heard = " ".join(heard.split())
        if len(heard) > MAX_HEARD_CHARS:
            heard = heard[:MAX_HEARD_CHARS].rsplit(" ", 1)[0] + " …"
        return render(self.agent.reply_to(heard), self.variables)

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        **_: Any,
    ) -> ScriptStream:
        return ScriptStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


def unanswered_user_text(chat_ctx: llm.ChatContext) -> str:
    """The person's last messages with nothing said by the agent between them, oldest first."""
    said: list[str] = []
    for item in reversed(chat_ctx.items):
        if item.type != "message":
            continue
        if item.role == "user":
            said.append(item.text_content or "")
        elif said and item.role == "assistant" and (item.text_content or "").strip():
            break
    return " ".join(reversed(said))


class ScriptStream(llm.LLMStream):
    _llm: ScriptLLM

    async def _run(self) -> None:
        heard = unanswered_user_text(self._chat_ctx)
        if not heard.strip():
            return
        delta = llm.ChoiceDelta(role="assistant", content=self._llm.reply(heard))
        self._event_ch.send_nowait(llm.ChatChunk(id=uuid.uuid4().hex, delta=delta))
