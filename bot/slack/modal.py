"""The "new task" modal: opened by `/pm` alone, the "New task" shortcut, or "Create task from
message"; its submission becomes one `create_task` call.

Slack hands a modal's answers back as `view.state.values[block_id][action_id]`; this module builds
the view, reads those values into a `TaskForm`, and turns the form into a `TaskDraft`. Every rule
(who may create where, what a valid task is) stays in `core.services.tasks.create_task`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pydantic import ValidationError

from bot.i18n import Lang, error_text, tr
from bot.render import task_buttons, task_fields
from bot.router import Inbound, Router
from core.errors import InvalidInput, PMError
from core.messages import Reply
from core.schemas import MAX_TITLE, TaskDraft
from core.services.context import Ctx
from core.services.projects import channel_project_key, list_projects
from core.services.tasks import create_task
from core.services.users import resolve_user
from core.timeutil import zone
from storage.db import session_scope

CALLBACK_ID = "pm_new_task"
MAX_OPTIONS = 100
MAX_INPUT = 3000  # Slack's ceiling for a plain_text_input's max_length


@dataclass
class TaskForm:
    """What the user entered in the modal."""

    title: str = ""
    project: str | None = None
    assignees: list[str] = field(default_factory=list)
    due_date: date | None = None
    due_time: time | None = None
    priority: int = 3
    description: str = ""


@dataclass
class Origin:
    """Where the modal was opened from, so the result goes back there."""

    channel: str | None = None
    message_ts: str | None = None  # the message a task is created from
    thread_ts: str | None = None
    response_url: str | None = None

    def dump(self) -> str:
        """As `private_metadata` (at most 3,000 characters)."""
        data = {k: v for k, v in self.__dict__.items() if v}
        return json.dumps(data)[:3000]

    @classmethod
    def load(cls, raw: str | None) -> Origin:
        """From `private_metadata`."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value, "emoji": True}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(label[:75]), "value": value[:150]}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    element = {"action_id": "value", **element}
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _text(label),
        "element": element,
    }
    if optional:
        block["optional"] = True
    return block


def task_modal(
    lang: Lang,
    projects: list[tuple[str, str]],
    *,
    default_project: str | None,
    origin: Origin,
    title: str = "",
    description: str = "",
) -> dict[str, Any]:
    """The modal view: title, project, assignees, due date and time, priority, description."""

    def t(en: str, zh: str) -> str:
        return tr(lang, en, zh)

    title_el: dict[str, Any] = {"type": "plain_text_input", "max_length": MAX_TITLE}
    if title:
        title_el["initial_value"] = title[:MAX_TITLE]
    if projects:
        options = [_option(f"{key} · {name}", key) for key, name in projects[:MAX_OPTIONS]]
        project_el: dict[str, Any] = {"type": "static_select", "options": options}
        initial = next((o for o in options if o["value"] == default_project), None)
        if initial is not None:
            project_el["initial_option"] = initial
    else:
        project_el = {"type": "plain_text_input", "max_length": 16}
        if default_project:
            project_el["initial_value"] = default_project
    priorities = [_option(f"P{p}", str(p)) for p in (1, 2, 3, 4)]
    desc_el: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": MAX_INPUT,
    }
    if description:
        desc_el["initial_value"] = description[:MAX_INPUT]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _text(t("New task", "新建任务")),
        "submit": _text(t("Create", "创建")),
        "close": _text(t("Cancel", "取消")),
        "private_metadata": origin.dump(),
        "blocks": [
            _input("title", t("Title", "标题"), title_el),
            _input("project", t("Project", "项目"), project_el),
            _input(
                "assignees", t("Assignees", "负责人"), {"type": "multi_users_select"}, optional=True
            ),
            _input("due_date", t("Due date", "截止日期"), {"type": "datepicker"}, optional=True),
            _input("due_time", t("Due time", "截止时间"), {"type": "timepicker"}, optional=True),
            _input(
                "priority",
                t("Priority", "优先级"),
                {"type": "static_select", "options": priorities, "initial_option": priorities[2]},
            ),
            _input("description", t("Description", "描述"), desc_el, optional=True),
        ],
    }


def open_modal_view(
    router: Router,
    inbound: Inbound,
    *,
    origin: Origin,
    title: str = "",
    description: str = "",
) -> dict[str, Any]:
    """The modal for this user: the projects they can see, the channel's project preselected."""
    with session_scope(router.engine, immediate=True) as session:
        actor = router.actor_for(session, inbound)
        ctx = Ctx(session=session, actor=actor, clock=router.clock)
        projects = [(p.key, p.name) for p in list_projects(ctx)]
        default = (
            channel_project_key(
                ctx, platform=inbound.platform, tenant=inbound.tenant, channel_id=inbound.channel_id
            )
            if inbound.channel_id
            else None
        )
        lang: Lang = "zh" if actor.locale == "zh" else "en"
    return task_modal(
        lang, projects, default_project=default, origin=origin, title=title, description=description
    )


def read_form(view: dict[str, Any]) -> TaskForm:
    """The modal's answers, from `view.state.values`."""
    values: dict[str, Any] = (view.get("state") or {}).get("values") or {}

    def get(block: str) -> dict[str, Any]:
        found: dict[str, Any] = (values.get(block) or {}).get("value") or {}
        return found

    project = get("project")
    selected = (project.get("selected_option") or {}).get("value") or project.get("value")
    priority = (get("priority").get("selected_option") or {}).get("value") or "3"
    raw_date = get("due_date").get("selected_date")
    raw_time = get("due_time").get("selected_time")
    return TaskForm(
        title=(get("title").get("value") or "").strip(),
        project=(selected or "").strip().upper() or None,
        assignees=list(get("assignees").get("selected_users") or []),
        due_date=date.fromisoformat(raw_date) if raw_date else None,
        due_time=time.fromisoformat(raw_time) if raw_time else None,
        priority=int(priority) if str(priority).isdigit() else 3,
        description=(get("description").get("value") or "").strip(),
    )


def create_from_form(
    router: Router, inbound: Inbound, form: TaskForm, *, source_ref: str | None = None
) -> Reply:
    """Create the task the modal describes, as the user who submitted it; a `Reply` either way."""
    lang: Lang = "zh" if (inbound.user_locale or router.default_language) == "zh" else "en"
    try:
        with session_scope(router.engine, immediate=True) as session:
            actor = router.actor_for(session, inbound)
            lang = "zh" if actor.locale == "zh" else "en"
            ctx = Ctx(session=session, actor=actor, clock=router.clock)
            assignee_ids = []
            for slack_id in form.assignees:
                user = resolve_user(
                    session,
                    platform=inbound.platform,
                    tenant=inbound.tenant,
                    handle=slack_id,
                    platform_ids={slack_id: slack_id},
                )
                assert user.id is not None
                assignee_ids.append(user.id)
            due_date, due_at = form.due_date, None
            if form.due_time is not None:
                tz = zone(actor.timezone)
                due_date = due_date or ctx.now.astimezone(tz).date()
                due_at = datetime.combine(due_date, form.due_time, tzinfo=tz)
            try:
                draft = TaskDraft(
                    project_key=form.project or "",
                    title=form.title,
                    description=form.description,
                    assignee_ids=assignee_ids,
                    priority=form.priority,
                    due_date=due_date,
                    due_at=due_at,
                    source_ref=source_ref,
                )
            except ValidationError as exc:
                raise InvalidInput(
                    tr(lang, "a task needs a title and a project", "任务需要标题和项目")
                ) from exc
            task = create_task(ctx, draft)
            return Reply(
                text=tr(lang, "Created {k}: {t}", "已创建 {k}：{t}", k=task.key, t=task.title),
                fields=task_fields(task, actor.timezone, lang),
                buttons=task_buttons(task, lang),
            )
    except PMError as err:
        return Reply(text=error_text(lang, err), ok=False, error=err.code)
