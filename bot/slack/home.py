"""App Home: the user's open tasks, overdue first, then due today, then due this week.

Each task shows the same buttons as anywhere else (`bot.render.task_buttons`); a press runs the
router command and the Home tab is published again. The tab holds at most 100 blocks.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import Lang, tr
from bot.render import task_buttons, task_line
from bot.router import Inbound, Router
from bot.slack.blocks import MAX_VIEW_BLOCKS, actions_blocks, mrkdwn
from core.schemas import TaskFilter, TaskOut
from core.services.context import Ctx
from core.services.tasks import list_tasks
from core.timeutil import zone
from storage.db import session_scope

PER_GROUP = 15  # two blocks a task: three full groups stay under the 100-block ceiling


def _group(
    title: str, tasks: list[TaskOut], total: int, tz: str, lang: Lang
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title} ({total})"[:150]}}
    ]
    if not tasks:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": tr(lang, "Nothing here.", "暂无。")}],
            }
        )
        return blocks
    for task in tasks[:PER_GROUP]:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": mrkdwn(task_line(task, tz, lang))[:3000]},
            }
        )
        blocks.extend(actions_blocks(task_buttons(task, lang), prefix=f"{task.key}:"))
    if total > PER_GROUP:
        more = tr(
            lang,
            "…and {n} more: `/pm list mine`",
            "……还有 {n} 个：`/pm 列表 我的`",
            n=total - PER_GROUP,
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return blocks


def home_view(router: Router, inbound: Inbound) -> dict[str, Any]:
    """The Home tab for the user behind `inbound`."""
    with session_scope(router.engine, immediate=True) as session:
        actor = router.actor_for(session, inbound)
        ctx = Ctx(session=session, actor=actor, clock=router.clock)
        lang: Lang = "zh" if actor.locale == "zh" else "en"
        tz = actor.timezone
        overdue = list_tasks(ctx, TaskFilter(mine=True, overdue=True, limit=PER_GROUP + 1))
        week = list_tasks(ctx, TaskFilter(mine=True, due_within_days=7, limit=200))
        now = ctx.now
    today = now.astimezone(zone(tz)).date()
    overdue_keys = {t.key for t in overdue.tasks}
    upcoming = [
        t
        for t in week.tasks
        if t.key not in overdue_keys and t.deadline_at and t.deadline_at >= now
    ]
    due_today = [
        t for t in upcoming if t.deadline_at and t.deadline_at.astimezone(zone(tz)).date() == today
    ]
    later = [t for t in upcoming if t not in due_today]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": tr(
                    lang,
                    "*My tasks* · `/pm help` lists every command.",
                    "*我的任务* · `/pm 帮助` 查看全部命令。",
                ),
            },
        },
        {"type": "divider"},
    ]
    blocks += _group(tr(lang, "Overdue", "已逾期"), overdue.tasks, overdue.total, tz, lang)
    blocks += _group(tr(lang, "Due today", "今天到期"), due_today, len(due_today), tz, lang)
    blocks += _group(tr(lang, "Due this week", "本周到期"), later, len(later), tz, lang)
    return {"type": "home", "callback_id": "pm_home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
