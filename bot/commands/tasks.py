"""Task commands: add, list, show, assign, done, reopen, status, due, priority, comment, log,
sub, depend, delete, history."""

from __future__ import annotations

import re

from pydantic import ValidationError

from bot.render import format_instant, table_header, task_buttons, task_fields, task_line, task_row
from bot.router import Request, command, usage_error
from core.errors import InvalidInput, NotFound
from core.messages import Button, Reply
from core.models import TaskStatus
from core.schemas import TaskDraft, TaskFilter, TaskOut
from core.services import tasks as svc
from core.services.context import get_project
from core.services.users import describe_user
from core.timeutil import format_minutes, parse_duration, week_end, zone

LIST_PAGE = 20  # tasks a list reply shows; the rest are a "More" button away
_PRIORITY = re.compile(r"^p([1-4])$", re.IGNORECASE)
_DUE_WORDS = {"due", "by", "截止", "截止到", "到期"}
_LAG = re.compile(r"^([+-]\d{1,4})d?$", re.IGNORECASE)
_STATUS_WORDS = {
    "todo": TaskStatus.TODO, "待办": TaskStatus.TODO,
    "doing": TaskStatus.DOING, "进行中": TaskStatus.DOING, "开始": TaskStatus.DOING,
    "blocked": TaskStatus.BLOCKED, "受阻": TaskStatus.BLOCKED, "阻塞": TaskStatus.BLOCKED,
    "done": TaskStatus.DONE, "完成": TaskStatus.DONE, "已完成": TaskStatus.DONE,
    "cancelled": TaskStatus.CANCELLED, "canceled": TaskStatus.CANCELLED, "取消": TaskStatus.CANCELLED,
}  # fmt: skip


def _tz(req: Request) -> str:
    return req.actor.timezone


def _task_reply(req: Request, task: TaskOut, text: str) -> Reply:
    return Reply(
        text=text,
        fields=task_fields(task, _tz(req), req.lang),
        buttons=task_buttons(task, req.lang),
    )


def _one_ref(req: Request) -> str:
    if len(req.args) != 1:
        raise usage_error(req)
    return req.args[0]


@command(
    "add",
    aliases=("新建", "new", "create", "添加任务"),
    usage="add KEY TITLE [@user ...] [due DATE] [p1-p4]",
    summary="create a task (or just write it in plain words)",
    summary_zh="新建任务（也可以直接用自然语言写）",
)
def add_command(req: Request) -> Reply:
    """Create a task from the structured form."""
    # Plain white space, not shell quoting: a title keeps its apostrophes and quotes ("Bob's").
    args = req.rest.split()
    if not args:
        raise usage_error(req, "add")
    project_key = req.default_project
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]{1,9}", args[0]):
        try:
            get_project(req.ctx.session, args[0])
            project_key = args.pop(0).upper()
        except NotFound:
            if project_key is None:
                raise
    if project_key is None:
        raise InvalidInput(
            req.t("which project?", "哪个项目？"),
            hint="usage: add KEY TITLE [@user ...] [due DATE] [p1-p4]",
        )
    title_words: list[str] = []
    assignees: list[int] = []
    priority = 3
    due_text: list[str] = []
    in_due = False
    for word in args:
        if word.startswith("@") and len(word) > 1:
            user = req.user(word)
            assert user.id is not None
            assignees.append(user.id)
            in_due = False
        elif _PRIORITY.match(word):
            priority = int(word[1])
            in_due = False
        elif word.lower() in _DUE_WORDS and title_words:
            in_due = True
        elif in_due:
            due_text.append(word)
        else:
            title_words.append(word)
    due_date, due_at = req.when(" ".join(due_text)) if due_text else (None, None)
    try:
        draft = TaskDraft(
            project_key=project_key,
            title=" ".join(title_words),
            assignee_ids=assignees,
            priority=priority,
            due_date=due_date,
            due_at=due_at,
        )
    except ValidationError as exc:
        raise InvalidInput(
            req.t("a task needs a title of 1 to 500 characters", "任务标题需要 1 到 500 个字符"),
            hint="usage: add KEY TITLE [@user ...] [due DATE] [p1-p4]",
        ) from exc
    task = svc.create_task(req.ctx, draft)
    return _task_reply(
        req, task, req.t("Created {k}: {t}", "已创建 {k}：{t}", k=task.key, t=task.title)
    )


@command(
    "list",
    aliases=("列表", "ls", "tasks", "任务"),
    usage="list [mine|KEY|overdue|week|all] [todo|doing|blocked|done|cancelled] [page N]",
    summary="list tasks: yours, a project's, overdue, or due this week",
    summary_zh="列出任务：我的、某项目的、逾期的、本周到期的",
)
def list_command(req: Request) -> Reply:
    """List tasks by scope and status, a page at a time."""
    flt = TaskFilter(limit=LIST_PAGE)
    scope_set = False
    words = list(req.args)
    page_no = 1
    if len(words) >= 2 and words[-2].lower() in ("page", "页") and words[-1].isdigit():
        page_no = max(1, min(int(words[-1]), 10_000))
        words = words[:-2]
    flt.offset = (page_no - 1) * LIST_PAGE
    for word in words:
        low = word.lower()
        if low in ("mine", "my", "我的", "me"):
            flt.mine = True
        elif low in ("overdue", "逾期", "过期"):
            flt.overdue = True
        elif low in ("week", "本周", "this-week"):
            flt.due_by = week_end(req.ctx.now.astimezone(zone(req.actor.timezone)).date())
        elif low in ("all", "全部"):
            flt.include_closed = True
        elif low in _STATUS_WORDS:
            flt.statuses = [*(flt.statuses or []), _STATUS_WORDS[low]]
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]{1,9}", word):
            flt.project_key = word.upper()
        else:
            raise usage_error(req, "list")
        scope_set = scope_set or low not in _STATUS_WORDS
    if (not scope_set and not flt.statuses) or (
        flt.statuses and not (flt.mine or flt.project_key or flt.overdue or flt.due_by)
    ):
        if req.default_project:
            flt.project_key = req.default_project
        else:
            flt.mine = True
    page = svc.list_tasks(req.ctx, flt)
    if not page.tasks:
        return Reply(text=req.t("No tasks match.", "没有符合条件的任务。"))
    tz = _tz(req)
    first, last = flt.offset + 1, flt.offset + len(page.tasks)
    text = req.t("{n} task(s):", "共 {n} 个任务：", n=page.total)
    buttons = []
    if first > 1 or last < page.total:
        text += req.t(" (showing {a}–{b})", "（第 {a}–{b} 个）", a=first, b=last)
    if last < page.total:
        more = " ".join([*words, "page", str(page_no + 1)])
        buttons.append(Button(req.t("More", "下一页"), f"list {more}"))
    return Reply(
        text=text + "\n" + "\n".join(task_line(t, tz, req.lang) for t in page.tasks),
        table=[table_header(req.lang)] + [task_row(t, tz, req.lang) for t in page.tasks],
        buttons=buttons,
    )


@command(
    "show",
    aliases=("查看", "view", "详情"),
    usage="show TASK",
    summary="show a task with its subtasks, dependencies and comments",
    summary_zh="查看任务详情",
    takes_task=True,
)
def show_command(req: Request) -> Reply:
    """Show one task."""
    task = svc.show_task(req.ctx, _one_ref(req), default_project=req.default_project)
    comments = svc.list_comments(req.ctx, task.key)
    text = f"{task.key}: {task.title}"
    if task.description:
        text += f"\n{task.description}"
    for c in comments[-5:]:
        text += f"\n💬 {c.author.name if c.author else '?'}: {c.body}"
    reply = _task_reply(req, task, text)
    reply.private = bool(comments)  # comments are the project's, not the whole channel's
    return reply


@command(
    "assign",
    aliases=("指派", "分配", "转交"),
    usage="assign TASK @user [@user ...]",
    summary="give a task to someone",
    summary_zh="把任务指派给某人",
    takes_task=True,
)
def assign_command(req: Request) -> Reply:
    """Reassign a task."""
    if len(req.args) < 2:
        raise usage_error(req)
    ids = []
    for handle in req.args[1:]:
        user = req.user(handle)
        assert user.id is not None
        ids.append(user.id)
    task = svc.assign_task(req.ctx, req.args[0], ids, default_project=req.default_project)
    names = ", ".join(f"@{a.name}" for a in task.assignees)
    return _task_reply(
        req, task, req.t("{k} is now with {n}.", "{k} 已指派给 {n}。", k=task.key, n=names)
    )


@command(
    "done",
    aliases=("完成", "close", "finish", "搞定"),
    usage="done TASK",
    summary="mark a task done",
    summary_zh="标记任务完成",
    takes_task=True,
)
def done_command(req: Request) -> Reply:
    """Complete a task."""
    task = svc.complete_task(req.ctx, _one_ref(req), default_project=req.default_project)
    return _task_reply(
        req, task, req.t("✅ {k} done: {t}", "✅ {k} 已完成：{t}", k=task.key, t=task.title)
    )


@command(
    "reopen",
    aliases=("重开", "重新打开"),
    usage="reopen TASK",
    summary="reopen a done or cancelled task",
    summary_zh="重新打开已完成或已取消的任务",
    takes_task=True,
)
def reopen_command(req: Request) -> Reply:
    """Reopen a task."""
    task = svc.reopen_task(req.ctx, _one_ref(req), default_project=req.default_project)
    return _task_reply(req, task, req.t("{k} is open again.", "{k} 已重新打开。", k=task.key))


@command(
    "status",
    aliases=("状态",),
    usage="status TASK todo|doing|blocked|done|cancelled",
    summary="move a task to another status",
    summary_zh="修改任务状态",
    takes_task=True,
)
def status_command(req: Request) -> Reply:
    """Change a task's status."""
    if len(req.args) != 2 or req.args[1].lower() not in _STATUS_WORDS:
        raise usage_error(req)
    task = svc.set_status(
        req.ctx,
        req.args[0],
        _STATUS_WORDS[req.args[1].lower()],
        default_project=req.default_project,
    )
    return _task_reply(
        req, task, req.t("{k} is now {s}.", "{k} 状态已改为 {s}。", k=task.key, s=task.status.value)
    )


@command(
    "due",
    aliases=("截止", "deadline", "到期"),
    usage="due TASK DATE|none",
    summary="set or clear a task's due date (2026-12-01, 12/1 15:00, tomorrow 3pm, 下周五)",
    summary_zh="设置或清除截止时间（2026-12-01、明天下午3点、下周五）",
    takes_task=True,
)
def due_command(req: Request) -> Reply:
    """Set a task's due."""
    if len(req.args) < 2:
        raise usage_error(req)
    text = " ".join(req.args[1:])
    if text.lower() in ("none", "clear", "无", "清除"):
        task = svc.set_due(req.ctx, req.args[0], None, None, default_project=req.default_project)
        return _task_reply(
            req, task, req.t("{k} has no due date now.", "{k} 已清除截止时间。", k=task.key)
        )
    due_date, due_at = req.when(text)
    task = svc.set_due(req.ctx, req.args[0], due_date, due_at, default_project=req.default_project)
    return _task_reply(
        req, task, req.t("{k} due date updated.", "{k} 截止时间已更新。", k=task.key)
    )


@command(
    "priority",
    aliases=("优先级", "prio"),
    usage="priority TASK 1-4",
    summary="set a task's priority (1 highest)",
    summary_zh="设置优先级（1 最高）",
    takes_task=True,
)
def priority_command(req: Request) -> Reply:
    """Set a task's priority."""
    if len(req.args) != 2:
        raise usage_error(req)
    raw = req.args[1].lower().lstrip("p")
    if not raw.isdigit():
        raise usage_error(req)
    task = svc.set_priority(req.ctx, req.args[0], int(raw), default_project=req.default_project)
    return _task_reply(
        req, task, req.t("{k} is now P{p}.", "{k} 优先级改为 P{p}。", k=task.key, p=task.priority)
    )


@command(
    "comment",
    aliases=("评论", "备注"),
    usage="comment TASK TEXT",
    summary="comment on a task",
    summary_zh="评论任务",
    takes_task=True,
)
def comment_command(req: Request) -> Reply:
    """Add a comment."""
    ref, _, body = req.rest.partition(" ")
    if not ref or not body.strip():
        raise usage_error(req)
    svc.comment_task(req.ctx, ref, body, default_project=req.default_project)
    return Reply(text=req.t("Comment added to {k}.", "已评论 {k}。", k=ref.upper()))


@command(
    "log",
    aliases=("工时", "记录工时"),
    usage="log TASK 2h [note]",
    summary="log time spent on a task (30m, 2h, 1.5h, 1d)",
    summary_zh="记录工时（30m、2h、1.5h、1d）",
    takes_task=True,
)
def log_command(req: Request) -> Reply:
    """Log work."""
    if len(req.args) < 2:
        raise usage_error(req)
    minutes = parse_duration(req.args[1])
    task = svc.log_work(
        req.ctx, req.args[0], minutes, " ".join(req.args[2:]), default_project=req.default_project
    )
    return _task_reply(
        req,
        task,
        req.t(
            "Logged {m} on {k} ({t} in all).",
            "已为 {k} 记录 {m}（共 {t}）。",
            m=format_minutes(minutes),
            k=task.key,
            t=format_minutes(task.logged_minutes),
        ),
    )


@command(
    "sub",
    aliases=("子任务", "subtask"),
    usage="sub TASK TITLE",
    summary="add a subtask (work breakdown of any depth)",
    summary_zh="添加子任务（任意层级的工作分解）",
    group="plan",
    takes_task=True,
)
def sub_command(req: Request) -> Reply:
    """Create a subtask."""
    ref, _, title = req.rest.partition(" ")
    if not ref or not title.strip():
        raise usage_error(req)
    task = svc.new_subtask(req.ctx, ref, title.strip(), default_project=req.default_project)
    return _task_reply(
        req,
        task,
        req.t(
            "Created {k} under {p}: {t}",
            "已在 {p} 下创建 {k}：{t}",
            k=task.key,
            p=task.parent_key,
            t=task.title,
        ),
    )


@command(
    "depend",
    aliases=("依赖",),
    usage="depend TASK on TASK [fs|ss|ff|sf] [+Nd]",
    summary="make a task wait for another (finish-to-start by default, lag in working days)",
    summary_zh="设置任务依赖（默认完成-开始，延迟按工作日计）",
    group="plan",
    takes_task=True,
)
def depend_command(req: Request) -> Reply:
    """Add a dependency."""
    args = [a for a in req.args if a.lower() not in ("on", "依赖于", "after")]
    if len(args) < 2:
        raise usage_error(req)
    kind = "fs"
    lag = 0
    for extra in args[2:]:
        if extra.lower() in ("fs", "ss", "ff", "sf"):
            kind = extra.lower()
        elif m := _LAG.match(extra):
            lag = int(m.group(1))
        else:
            raise usage_error(req)
    dep = svc.add_dependency(
        req.ctx, args[0], args[1], kind, lag, default_project=req.default_project
    )
    lag_text = f" {dep.lag_days:+d}d" if dep.lag_days else ""
    return Reply(
        text=req.t(
            "{s} now depends on {p} ({t}{l}).",
            "{s} 现在依赖 {p}（{t}{l}）。",
            s=dep.successor,
            p=dep.predecessor,
            t=dep.type.value.upper(),
            l=lag_text,
        )
    )


@command(
    "delete",
    aliases=("删除", "rm", "remove"),
    usage="delete TASK",
    summary="delete a task (managers and admins)",
    summary_zh="删除任务（项目经理和管理员）",
    takes_task=True,
)
def delete_command(req: Request) -> Reply:
    """Delete a task."""
    task = svc.delete_task(req.ctx, _one_ref(req), default_project=req.default_project)
    return Reply(text=req.t("Deleted {k}: {t}", "已删除 {k}：{t}", k=task.key, t=task.title))


@command(
    "history",
    aliases=("历史", "log-history", "audit"),
    usage="history TASK",
    summary="every change to a task: who, when, what",
    summary_zh="任务的变更记录：谁、何时、改了什么",
    takes_task=True,
)
def history_command(req: Request) -> Reply:
    """Show a task's audit trail."""
    ref = _one_ref(req)
    events = svc.task_history(req.ctx, ref, default_project=req.default_project)
    names: dict[int, str] = {}

    def shown(key: str, value: object) -> str:
        # assignees are recorded as user ids; people read names
        if key != "assignees" or not isinstance(value, list):
            return str(value)
        for user_id in value:
            if isinstance(user_id, int) and user_id not in names:
                try:
                    names[user_id] = "@" + describe_user(req.ctx, user_id).name
                except NotFound:
                    names[user_id] = str(user_id)
        return "[" + ", ".join(names.get(v, str(v)) for v in value) + "]"

    lines = []
    for e in events:
        who = e.actor.name if e.actor else "?"
        after = e.after or {}
        before = e.before or {}
        if e.action == "create":
            kept = {k: v for k, v in after.items() if v not in (None, "", [], False, 0)}
            change = ", ".join(f"{k}={shown(k, v)}" for k, v in kept.items())
        else:
            # a value with no 'before' (a comment's body, minutes logged) is news, not a change
            change = ", ".join(
                f"{k}: {shown(k, before[k])} → {shown(k, v)}"
                if k in before
                else f"{k}={shown(k, v)}"
                for k, v in after.items()
            )
            if not change and before:
                change = ", ".join(f"{k}: {shown(k, v)}" for k, v in before.items())
        when = format_instant(e.at, _tz(req), req.lang)
        lines.append(f"{when} @{who} {e.action} {change}".rstrip())
    return Reply(
        text=req.t("History of {k}:", "{k} 的变更记录：", k=ref.upper()) + "\n" + "\n".join(lines),
        private=True,  # who changed what, when: for the asker, not the whole channel
    )


@command(
    "undo",
    aliases=("撤销",),
    usage="undo TASK",
    summary="take back a task you just created",
    summary_zh="撤销刚创建的任务",
    takes_task=True,
)
def undo_command(req: Request) -> Reply:
    """Undo a task creation."""
    if len(req.args) != 1:
        raise usage_error(req)
    task = svc.undo_create(req.ctx, req.args[0], default_project=req.default_project)
    return Reply(text=req.t("Undone: {k} {t}", "已撤销：{k} {t}", k=task.key, t=task.title))
