"""The `Completer` for any OpenAI-compatible chat-completions endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama).

Structured outputs (`json_schema`, strict) are asked for first; a server that rejects them with
400 is asked again in JSON mode (`json_object`, the schema then travels in the system prompt),
and that choice is remembered for the rest of the completer's life. Retries are off by default:
a 429 or a 5xx is reported at once as `LLMError`, so the caller's time budget holds and the rule
parser's answer is used instead.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from bot.redact import Redactor
from core.nlp.llm import LLMError

if TYPE_CHECKING:
    from openai import OpenAI

DEFAULT_TIMEOUT = 8.0


class OpenAICompleter:
    """A `Completer` backed by the `openai` client; the client is created on first use."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 0,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        # Local servers (Ollama, vLLM) take any key; the client insists on one.
        self._api_key = api_key or "unused"
        self._client: OpenAI | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.structured_outputs = True  # becomes False once the server rejects json_schema

    def _get_client(self) -> OpenAI:
        with self._lock:
            if self._client is None:
                from openai import OpenAI  # imported here: nothing connects at import time

                self._client = OpenAI(
                    base_url=self.base_url,
                    api_key=self._api_key,
                    timeout=self.timeout,
                    max_retries=self.max_retries,
                )
            return self._client

    def complete(self, system: str, user: str, schema: dict[str, Any], timeout: float) -> str:
        """Send one system + user turn and return the model's JSON text; `LLMError` on failure.

        `timeout` is a wall-clock budget for the whole call: the HTTP client's own timeouts
        apply per connect or read, so a server trickling its answer could outlast them.
        """
        import openai  # noqa: F401  # imported (once, slowly) outside the time budget

        self._get_client()
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pmbot-llm")
            pool = self._pool
        future = pool.submit(self._complete, system, user, schema, timeout)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout as exc:
            future.cancel()
            raise LLMError(f"LLM gave no answer within {timeout:g} s") from exc

    def _complete(self, system: str, user: str, schema: dict[str, Any], timeout: float) -> str:
        import openai

        deadline = time.monotonic() + timeout
        try:
            if self.structured_outputs:
                try:
                    return self._ask(system, user, _json_schema_format(schema), deadline)
                except openai.BadRequestError:
                    # Most OpenAI-compatible servers without structured outputs answer 400 here;
                    # JSON mode is remembered only once it has worked.
                    answer = self._ask_json_mode(system, user, schema, deadline)
                    self.structured_outputs = False
                    return answer
            return self._ask_json_mode(system, user, schema, deadline)
        except openai.OpenAIError as exc:
            # the server's answer is quoted in the error, and a server may echo the key
            detail = Redactor([self._api_key])(str(exc))[:500]
            raise LLMError(f"LLM request failed: {type(exc).__name__}: {detail}") from exc

    def _ask_json_mode(
        self, system: str, user: str, schema: dict[str, Any], deadline: float
    ) -> str:
        prompt = (
            f"{system}\n\nAnswer with a JSON object that follows this JSON schema:\n"
            f"{json.dumps(schema, ensure_ascii=False)}"
        )
        return self._ask(prompt, user, {"type": "json_object"}, deadline)

    def _ask(self, system: str, user: str, response_format: Any, deadline: float) -> str:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LLMError("LLM time budget spent")
        completion = self._get_client().chat.completions.create(
            model=self.model,
            messages=[
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            response_format=response_format,
            temperature=0,
            timeout=remaining,
        )
        if not completion.choices:
            raise LLMError("LLM answered with no choices")
        choice = completion.choices[0]
        if choice.finish_reason not in (None, "stop"):
            raise LLMError(f"LLM answer incomplete: finish_reason={choice.finish_reason}")
        content = choice.message.content
        if not content:
            refusal = getattr(choice.message, "refusal", None)
            raise LLMError(f"LLM gave no content{': ' + refusal if refusal else ''}")
        return content

    def close(self) -> None:
        """Close the HTTP client, if one was created."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> OpenAICompleter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _json_schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "parse", "schema": schema, "strict": True},
    }
