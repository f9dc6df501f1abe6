"""How tasks, projects and dates read in a reply, in the reader's language and zone."""

from __future__ import annotations

from datetime import date, datetime

from bot.i18n import Lang
from core.messages import Button
from core.schemas import TaskOut
from core.timeutil import zone

_WEEKDAYS_ZH = "一二三四五六日"
_STATUS_ZH = {
    "todo": "待办",
    "doing": "进行中",
    "blocked": "受阻",
    "done": "已完成",
    "cancelled": "已取消",
}
_PRIORITY = {1: "P1", 2: "P2", 3: "P3", 4: "P4"}


def format_date(day: date, lang: Lang) -> str:
    """`11月25日 周三` or `Wed Nov 25`."""
    if lang == "zh":
        return f"{day.month}月{day.day}日 周{_WEEKDAYS_ZH[day.weekday()]}"
    return day.strftime("%a %b ") + str(day.day)


def format_instant(instant: datetime, tz: str, lang: Lang) -> str:
    """`11月25日 周三 15:00` or `Wed Nov 25, 3:00 PM`, in zone `tz`."""
    local = instant.astimezone(zone(tz))
    if lang == "zh":
        return f"{format_date(local.date(), lang)} {local:%H:%M}"
    hour = local.hour % 12 or 12
    return (
        f"{format_date(local.date(), lang)}, {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"
    )


def format_due(task: TaskOut, tz: str, lang: Lang) -> str:
    """The task's due as the reader should see it, or '' when it has none."""
    if task.due_at is not None:
        return format_instant(task.due_at, tz, lang)
    if task.due_date is not None:
        return format_date(task.due_date, lang)
    return ""


def status_label(status: str, lang: Lang) -> str:
    """A status in the reader's language."""
    return _STATUS_ZH.get(status, status) if lang == "zh" else status


def task_line(task: TaskOut, tz: str, lang: Lang) -> str:
    """One line for lists: key, title, assignees, due, priority, status."""
    parts = [f"{task.key}", task.title]
    if task.assignees:
        parts.append(" ".join(f"@{a.name}" for a in task.assignees))
    due = format_due(task, tz, lang)
    if due:
        parts.append(("截止 " if lang == "zh" else "due ") + due)
    parts.append(_PRIORITY.get(task.priority, ""))
    parts.append(status_label(task.status.value, lang))
    return " · ".join(p for p in parts if p)


def task_row(task: TaskOut, tz: str, lang: Lang) -> list[str]:
    """One table row: key, title, assignees, due, priority, status."""
    return [
        task.key,
        task.title if len(task.title) <= 60 else task.title[:59] + "…",
        ", ".join(a.name for a in task.assignees),
        format_due(task, tz, lang),
        _PRIORITY.get(task.priority, ""),
        status_label(task.status.value, lang),
    ]


def table_header(lang: Lang) -> list[str]:
    """The header of a task table."""
    if lang == "zh":
        return ["编号", "标题", "负责人", "截止", "优先级", "状态"]
    return ["Key", "Title", "Assignees", "Due", "Priority", "Status"]


def task_fields(task: TaskOut, tz: str, lang: Lang) -> list[tuple[str, str]]:
    """Label/value pairs describing a task."""
    zh = lang == "zh"
    fields = [
        ("状态" if zh else "Status", status_label(task.status.value, lang)),
        ("优先级" if zh else "Priority", _PRIORITY.get(task.priority, "")),
    ]
    if task.assignees:
        fields.append(
            ("负责人" if zh else "Assignees", ", ".join(f"@{a.name}" for a in task.assignees))
        )
    due = format_due(task, tz, lang)
    if due:
        fields.append(("截止" if zh else "Due", due))
    if task.start_date:
        fields.append(("开始" if zh else "Start", format_date(task.start_date, lang)))
    if task.estimate_minutes:
        from core.timeutil import format_minutes

        fields.append(("预计" if zh else "Estimate", format_minutes(task.estimate_minutes)))
    if task.logged_minutes:
        from core.timeutil import format_minutes

        fields.append(("已用" if zh else "Logged", format_minutes(task.logged_minutes)))
    if task.recurrence:
        fields.append(("重复" if zh else "Repeats", task.recurrence))
    if task.parent_key:
        fields.append(("父任务" if zh else "Parent", task.parent_key))
    if task.subtasks:
        fields.append(("子任务" if zh else "Subtasks", ", ".join(task.subtasks)))
    if task.depends_on:
        fields.append(("依赖" if zh else "Depends on", ", ".join(task.depends_on)))
    if task.reporter:
        fields.append(("创建人" if zh else "Reporter", f"@{task.reporter.name}"))
    return fields


def task_buttons(task: TaskOut, lang: Lang) -> list[Button]:
    """The usual buttons under a task: done (or reopen) and snooze."""
    zh = lang == "zh"
    if task.status.value in ("done", "cancelled"):
        return [Button("重新打开" if zh else "Reopen", f"reopen {task.key}")]
    return [
        Button("完成" if zh else "Done", f"done {task.key}", style="primary"),
        Button("查看" if zh else "Open", f"show {task.key}"),
    ]
