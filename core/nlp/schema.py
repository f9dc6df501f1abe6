"""The parse contract: one message in, one `ParseResult` out (../shared/spec/nl-contract.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Intent = Literal["create", "complete", "reassign", "postpone", "query", "unknown"]
ShiftUnit = Literal["minute", "hour", "day", "workday", "week", "month"]


class Shift(BaseModel):
    """A relative postponement such as `推迟两天` → amount 2, unit day."""

    model_config = ConfigDict(extra="forbid")

    amount: int
    unit: ShiftUnit


class ParseResult(BaseModel):
    """Every key of the contract, always present. Dates are ISO strings as the contract says."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent = "unknown"
    title: str = ""
    assignees: list[str] = Field(default_factory=list)
    due: str | None = None
    start: str | None = None
    priority: int | None = Field(default=None, ge=1, le=4)
    project: str | None = None
    tags: list[str] = Field(default_factory=list)
    estimate_minutes: int | None = None
    recurrence: str | None = None
    task_ref: str | None = None
    shift: Shift | None = None
    lang: Literal["zh", "en"] = "en"
    source: Literal["rules", "llm"] = "rules"
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)


# The twelve keys a parser fills; `lang`, `source` and `confidence` describe the parse itself.
CONTRACT_FIELDS: tuple[str, ...] = tuple(
    name for name in ParseResult.model_fields if name not in ("lang", "source", "confidence")
)
