"""Reminder and digest commands: remind, snooze, quiet, digest, and `channel digest`."""

from __future__ import annotations

import re

from bot.commands.projects import CHANNEL_SUBCOMMANDS
from bot.router import TASK_REF, NotACommand, Request, command, usage_error
from core.errors import InvalidInput
from core.messages import Button, Reply
from core.services import digests
from core.services import notifications as svc
from core.timeutil import zone

_OFF = {"off", "关", "关闭", "no", "none", "取消"}
_ON = {"on", "开", "开启", "打开", "yes"}
_RANGE = re.compile(r"^\s*(\S+?)\s*(?:-|–|~|～|到|至|to)\s*(\S+)\s*$")


@command(
    "remind",
    aliases=("提醒", "reminder", "reminders"),
    usage="remind TASK 1d before|2h,30m|at time|off|default  ·  remind me 1h  ·  remind project KEY 1d",
    summary="when to be reminded of a task (or your / a project's default)",
    summary_zh="设置任务的提醒时间（或你的、项目的默认提醒）",
    group="notify",
)
def remind_command(req: Request) -> Reply:
    """Set reminder offsets for a task, for the actor, or for a project."""
    if len(req.args) < 2:
        if req.args and not TASK_REF.match(req.args[0]):
            raise NotACommand
        raise usage_error(req, "remind")
    target, spec = req.args[0], req.rest.split(None, 1)[1]
    if target.lower() in ("me", "我", "my"):
        out = svc.set_my_reminders(req.ctx, spec)
        return Reply(text=req.t("Your default reminders: {s}.", "你的默认提醒：{s}。", s=out.text))
    if target.lower() in ("project", "项目"):
        key, _, spec = spec.partition(" ")
        if not spec.strip():
            raise usage_error(req, "remind")
        out = svc.set_project_reminders(req.ctx, key, spec)
        return Reply(
            text=req.t(
                "{k}'s default reminders: {s}.", "{k} 的默认提醒：{s}。", k=out.scope, s=out.text
            )
        )
    if not TASK_REF.match(target):
        raise NotACommand  # `提醒 @bob 明天交周报` is natural language, not this command
    out = svc.set_task_reminders(req.ctx, target, spec, default_project=req.default_project)
    return Reply(text=req.t("{k} will remind: {s}.", "{k} 将提醒：{s}。", k=out.scope, s=out.text))


@command(
    "snooze",
    aliases=("稍后提醒", "推迟提醒", "再提醒"),
    usage="snooze TASK [1h|30m|tomorrow|15:00]",
    summary="remind me of a task again later",
    summary_zh="稍后再提醒我这个任务",
    group="notify",
    takes_task=True,
)
def snooze_command(req: Request) -> Reply:
    """Snooze a task's reminder for an hour, until tomorrow morning, or to a time."""
    if not req.args:
        raise usage_error(req, "snooze")
    spec = " ".join(req.args[1:]) or "1h"
    out = svc.snooze(req.ctx, req.args[0], spec, default_project=req.default_project)
    local = out.until.astimezone(zone(out.timezone))
    when = (
        f"{local.month}月{local.day}日 {local:%H:%M}"
        if req.lang == "zh"
        else (f"{local:%b} {local.day} {local:%H:%M}")
    )
    return Reply(
        text=req.t("I'll remind you of {k} at {w}.", "{w} 再提醒你 {k}。", k=out.task_key, w=when),
        buttons=[Button(req.t("Done", "完成"), f"done {out.task_key}", "primary")],
    )


@command(
    "quiet",
    aliases=("免打扰", "勿扰"),
    usage="quiet 22:00-08:00|off",
    summary="hours when reminders wait until morning",
    summary_zh="免打扰时段：这段时间的提醒顺延到结束后",
    group="notify",
)
def quiet_command(req: Request) -> Reply:
    """Set or clear the actor's quiet hours."""
    text = req.rest.strip()
    if text.lower() in _OFF:
        svc.set_quiet_hours(req.ctx, None)
        return Reply(text=req.t("Quiet hours are off.", "已关闭免打扰。"))
    match = _RANGE.match(text)
    if not match:
        raise usage_error(req, "quiet")
    start, end = svc.set_quiet_hours(req.ctx, match.group(1), match.group(2))
    return Reply(
        text=req.t(
            "Quiet hours {s}–{e}: reminders in that time wait until {e}.",
            "免打扰 {s}–{e}：这段时间的提醒会在 {e} 之后发送。",
            s=start,
            e=end,
        )
    )


@command(
    "digest",
    aliases=("日报", "简报"),
    usage="digest [me on|off]",
    summary="this channel's digest now; `digest me on` for a personal one each morning",
    summary_zh="查看本群日报；`日报 我 开` 每天早上私信你的个人日报",
    group="notify",
)
def digest_command(req: Request) -> Reply:
    """Show a digest now, or turn the personal morning digest on or off."""
    args = [a.lower() for a in req.args]
    if args and args[0] in ("me", "我", "my", "personal", "个人"):
        if len(args) == 1:
            return digests.preview_personal_digest(req.ctx)
        if args[1] not in _ON | _OFF:
            raise usage_error(req, "digest")
        on = svc.set_personal_digest(req.ctx, args[1] in _ON)
        return Reply(
            text=req.t(
                "Your personal digest is {s}.",
                "个人日报已{s}。",
                s=req.t("on: every working morning at 09:00", "开启：每个工作日 09:00 私信")
                if on
                else req.t("off", "关闭"),
            )
        )
    if args:
        raise usage_error(req, "digest")
    if not req.inbound.channel_id or req.inbound.is_direct:
        return digests.preview_personal_digest(req.ctx)
    return digests.preview_channel_digest(
        req.ctx,
        platform=req.inbound.platform,
        tenant=req.inbound.tenant,
        channel_id=req.inbound.channel_id,
    )


def channel_digest(req: Request) -> Reply:
    """`channel digest 09:30|off`."""
    if len(req.args) != 2:
        raise InvalidInput(
            req.t("when should the digest arrive?", "日报几点发？"),
            hint="usage: channel digest 09:30|off",
        )
    value = req.args[1]
    at = svc.set_channel_digest(
        req.ctx,
        platform=req.inbound.platform,
        tenant=req.inbound.tenant,
        channel_id=req.inbound.channel_id,
        at=None if value.lower() in _OFF else value,
    )
    if at is None:
        return Reply(text=req.t("No more daily digests here.", "本群不再推送日报。"))
    return Reply(
        text=req.t(
            "The daily digest arrives here at {t} on working days.",
            "每个工作日 {t} 在本群推送日报。",
            t=at,
        )
    )


CHANNEL_SUBCOMMANDS.update({"digest": channel_digest, "日报": channel_digest})
