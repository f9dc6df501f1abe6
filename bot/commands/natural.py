"""Natural language: a message that is not a command is parsed and acted on.

`create` makes a task and says what was understood, resolved for the reader; `complete`,
`reassign`, `postpone` and `query` call the same services as the commands. Unknown or
ambiguous people are asked about, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.i18n import Lang, tr
from bot.render import format_due, table_header, task_fields, task_line, task_row
from bot.router import Request
from bot.settings import Settings
from core.calendar import WorkCalendar
from core.errors import InvalidInput
from core.messages import Button, Reply
from core.nlp import is_broadcast, parse_message
from core.nlp.query import query_scope
from core.nlp.schema import ParseResult
from core.permissions import Permission
from core.schemas import TaskDraft, TaskFilter, TaskOut
from core.services import tasks as svc
from core.services.projects import list_projects
from core.timeutil import parse_hhmm_or_none, week_end, zone
from core.when import due_from_contract

_LATIN = re.compile(r"[A-Za-z]{2}")
# Not words of a language: task keys, mentions, tags, Slack's <...> tokens (`WEB-1 ✅`).
_NOT_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]*-\d+|[@#＠<]\S*")


class NaturalLanguage:
    """The natural-language handler: rules, then the LLM when configured and the rules are unsure.

    The router calls `prepare` before it opens the message's write transaction, so a slow LLM
    never holds the database (SQLite's single writer) while it thinks.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workday_end = parse_hhmm_or_none(settings.workday_end)
        self.completer: Any = None
        self.prompt = ""
        if settings.llm_enabled:
            from bot.llm import OpenAICompleter
            from core.nlp.llm import load_prompt

            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            self.completer = OpenAICompleter(
                str(settings.llm_base_url),
                key,
                str(settings.llm_model),
                timeout=settings.llm_timeout,
            )
            self.prompt = load_prompt()

    def prepare(
        self, text: str, timezone: str, now: datetime, calendar: WorkCalendar | None
    ) -> ParseResult:
        """Parse `text` for a user in `timezone` (rules, then the LLM if unsure)."""
        tz = zone(timezone)
        local = now.astimezone(tz)
        kwargs = {"workday_end": self.workday_end} if self.workday_end else {}
        rules = parse_message(text, local, tz, calendar, **kwargs)
        if self.completer is None:
            return rules
        from core.nlp.llm import parse_with_llm

        result: ParseResult = parse_with_llm(
            text, local, tz, rules, self.completer, self.settings.llm_timeout, self.prompt
        )
        return result

    def __call__(self, req: Request) -> Reply:
        """Act on the message, using the parse prepared before the transaction if there is one."""
        parsed = req.prepared
        if not isinstance(parsed, ParseResult):
            parsed = self.prepare(req.text, req.actor.timezone, req.ctx.now, req.calendar)
        return handle_parsed(req, parsed)


def make_handler(settings: Settings) -> NaturalLanguage:
    """The natural-language handler for the router."""
    return NaturalLanguage(settings)


def handle_parsed(req: Request, parsed: ParseResult) -> Reply:
    """Act on a parse result: create, complete, reassign, postpone or answer a query."""
    if parsed.lang == "zh" or _LATIN.search(_NOT_WORDS.sub(" ", req.text)):
        # answer in the language written; a key and an emoji alone keep the user's
        req.lang = parsed.lang
    if parsed.intent == "create" and parsed.title:
        return _create(req, parsed)
    if parsed.intent == "complete" and parsed.task_ref:
        task = svc.complete_task(req.ctx, parsed.task_ref, default_project=req.default_project)
        return _reply(
            req, task, req.t("✅ {k} done: {t}", "✅ {k} 已完成：{t}", k=task.key, t=task.title)
        )
    people = [h for h in parsed.assignees if not is_broadcast(h)]
    if parsed.intent == "reassign" and parsed.task_ref and people:
        ids = [_user_id(req, h) for h in people]
        task = svc.assign_task(req.ctx, parsed.task_ref, ids, default_project=req.default_project)
        names = ", ".join(f"@{a.name}" for a in task.assignees)
        return _reply(
            req, task, req.t("{k} is now with {n}.", "{k} 已转交给 {n}。", k=task.key, n=names)
        )
    if parsed.intent == "postpone" and parsed.task_ref and (parsed.shift or parsed.due):
        return _postpone(req, parsed)
    if parsed.intent == "query":
        return _query(req, parsed)
    return _not_understood(req.lang)


def _user_id(req: Request, handle: str) -> int:
    user = req.user(handle)
    assert user.id is not None
    return user.id


def _pick_project(req: Request, parsed: ParseResult) -> str:
    """The project a new task goes to: `#KEY` or `#name`, the channel's, or the only one."""
    projects = list_projects(req.ctx)
    if parsed.project:
        wanted = parsed.project.strip().lower()
        for p in projects:
            if wanted in (p.key.lower(), p.name.lower()):
                return p.key
        if req.default_project is None and not projects:
            raise InvalidInput(
                tr(req.lang, "there is no project {p!r} yet", "还没有项目 {p!r}", p=parsed.project),
                hint=tr(req.lang, "create it: project new KEY NAME", "先创建：项目 新建 KEY 名称"),
            )
    if req.default_project:
        return req.default_project
    writable = list_projects(req.ctx, permission=Permission.TASK_CREATE)
    if len(writable) == 1:
        return writable[0].key
    if not writable:
        raise InvalidInput(
            tr(req.lang, "you are not in any project yet", "你还没有加入任何项目"),
            hint=tr(
                req.lang, "create one: project new WEB Website", "新建一个：项目 新建 WEB 官网"
            ),
        )
    keys = ", ".join(f"#{p.key}" for p in writable[:8])
    raise InvalidInput(
        tr(req.lang, "which project? add one of {k}", "哪个项目？请加上 {k} 之一", k=keys),
    )


def _create(req: Request, parsed: ParseResult) -> Reply:
    project_key = _pick_project(req, parsed)
    tz = zone(req.actor.timezone)
    due_date, due_at = due_from_contract(parsed.due, tz) if parsed.due else (None, None)
    start_date, start_at = due_from_contract(parsed.start, tz) if parsed.start else (None, None)
    people = [h for h in parsed.assignees if not is_broadcast(h)]
    assignees = [_user_id(req, h) for h in people]
    draft = TaskDraft(
        project_key=project_key,
        title=parsed.title[:500],
        assignee_ids=assignees,
        priority=parsed.priority or 3,
        due_date=due_date,
        due_at=due_at,
        start_date=start_date,
        start_at=start_at,
        estimate_minutes=parsed.estimate_minutes,
        recurrence=parsed.recurrence,
        tags=parsed.tags,
        source_ref=req.inbound.thread_id,
    )
    task = svc.create_task(req.ctx, draft)
    text = req.t("Created {k}: {t}", "已创建 {k}：{t}", k=task.key, t=task.title)
    hint = req.t(
        "Fix a field: `due {k} DATE`, `assign {k} @user`, `priority {k} 1`.",
        "修改：`截止 {k} 日期`、`指派 {k} @某人`、`优先级 {k} 1`。",
        k=task.key,
    )
    reply = _reply(req, task, f"{text}\n{hint}")
    reply.buttons = [
        Button(req.t("Undo", "撤销"), f"undo {task.key}", style="danger"),
        Button(req.t("Done", "完成"), f"done {task.key}", style="primary"),
    ]
    reply.mentions = people
    return reply


def _postpone(req: Request, parsed: ParseResult) -> Reply:
    assert parsed.task_ref is not None
    if parsed.shift is not None:
        task = svc.postpone_task(
            req.ctx,
            parsed.task_ref,
            parsed.shift.amount,
            parsed.shift.unit,
            default_project=req.default_project,
        )
    else:
        assert parsed.due is not None
        due_date, due_at = due_from_contract(parsed.due, zone(req.actor.timezone))
        task = svc.set_due(
            req.ctx, parsed.task_ref, due_date, due_at, default_project=req.default_project
        )
    due = format_due(task, req.actor.timezone, req.lang)
    return _reply(req, task, req.t("{k} now due {d}.", "{k} 截止时间改为 {d}。", k=task.key, d=due))


def _query(req: Request, parsed: ParseResult) -> Reply:
    scope = query_scope(req.text)
    flt = TaskFilter(mine=not scope.team, overdue=scope.overdue, include_closed=scope.done)
    today = req.ctx.now.astimezone(zone(req.actor.timezone)).date()
    if scope.period is not None and not scope.overdue:
        flt.due_by = {
            "today": today,
            "tomorrow": today + timedelta(days=1),
            "week": week_end(today),
            "next_week": week_end(today) + timedelta(days=7),
            "month": today + relativedelta(day=31),
        }[scope.period]
    if parsed.project:
        flt.project_key = parsed.project.upper()
        flt.mine = False
    elif scope.team:
        flt.project_key = req.default_project
    page = svc.list_tasks(req.ctx, flt)
    if not page.tasks:
        return Reply(text=req.t("Nothing matches. 🎉", "没有符合条件的任务。🎉"))
    tz = req.actor.timezone
    return Reply(
        text=req.t("{n} task(s):", "共 {n} 个任务：", n=page.total)
        + "\n"
        + "\n".join(task_line(t, tz, req.lang) for t in page.tasks),
        table=[table_header(req.lang)] + [task_row(t, tz, req.lang) for t in page.tasks],
    )


def _reply(req: Request, task: TaskOut, text: str) -> Reply:
    return Reply(text=text, fields=task_fields(task, req.actor.timezone, req.lang))


def _not_understood(lang: Lang) -> Reply:
    return Reply(
        text=tr(
            lang,
            "I didn't catch that. Try: `tomorrow 3pm @bob write the report #WEB p1`, "
            "`done WEB-12`, `what's due this week?` or `help`.",
            "没看懂。可以这样写：`明天下午3点前 @张三 完成季度报告 #WEB 紧急`、"
            "`完成 WEB-12`、`本周有什么到期？` 或 `帮助`。",
        ),
        ok=False,
        error="not_understood",
    )
