"""pmbot's error tree. Adapters turn a `PMError` into a friendly reply in one place.

    PMError                      anything a user caused and can fix
    ├── NotFound(LookupError)    a task, project, user or channel that does not exist
    ├── PermissionDenied         the actor's role does not allow the action; names the role needed
    ├── InvalidInput(ValueError) a malformed or out-of-range argument; carries the usage
    ├── Conflict                 the change collides with the current state (versions, cycles, status)
    └── ParseError(ValueError)   a message the parser could not turn into a command

Anything else is a bug: logged with its traceback and answered with an apology and a reference.
"""

from __future__ import annotations


class PMError(Exception):
    """Base of every error a user can act on; `str(err)` is the message shown to them.

    `zh` and `hint_zh` carry the same sentence in Chinese; commands quoted in a hint stay
    as written, since they are what the user types.
    """

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        zh: str | None = None,
        hint_zh: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # the Chinese wording, shown to users who read Chinese; None falls back to English
        self.zh = zh
        self.hint_zh = hint_zh

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class NotFound(PMError, LookupError):
    """Something named in the request does not exist."""

    code = "not_found"

    def __init__(self, kind: str, name: str, *, hint: str | None = None) -> None:
        super().__init__(f"{kind} {name!r} not found", hint=hint)
        self.kind = kind
        self.name = name


class PermissionDenied(PMError, PermissionError):
    """The actor may not do this; the message names the role that would be needed."""

    code = "permission_denied"

    def __init__(self, action: str, needed: str, *, where: str | None = None) -> None:
        scope = f" in {where}" if where else ""
        super().__init__(f"you need the {needed} role{scope} to {action}")
        self.action = action
        self.needed = needed


class InvalidInput(PMError, ValueError):
    """An argument is missing, malformed or out of range."""

    code = "invalid_input"


class Conflict(PMError):
    """The change collides with the current state."""

    code = "conflict"


class ParseError(PMError, ValueError):
    """A message could not be understood."""

    code = "parse_error"
