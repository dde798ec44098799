"""The sandbox agent's "LLM": its script in agents.toml behind livekit-agents' `llm.LLM` interface.

The reply to the person's last message is the first script line with a keyword in it, else the
fallback that repeats what was understood (`SandboxAgent.reply_to`); the call's variables are
rendered in, as in the greeting.
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


def last_user_text(chat_ctx: llm.ChatContext) -> str:
    for item in reversed(chat_ctx.items):
        if item.type == "message" and item.role == "user":
            return item.text_content or ""
    return ""


class ScriptStream(llm.LLMStream):
    _llm: ScriptLLM

    async def _run(self) -> None:
        heard = last_user_text(self._chat_ctx)
        if not heard.strip():
            return
        delta = llm.ChoiceDelta(role="assistant", content=self._llm.reply(heard))
        self._event_ch.send_nowait(llm.ChatChunk(id=uuid.uuid4().hex, delta=delta))
