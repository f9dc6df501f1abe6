"""help, whoami and personal settings."""

from __future__ import annotations

from bot.router import COMMANDS, Request, command, lookup
from core.messages import Reply
from core.services.users import add_alias, describe_user, set_preferences

GROUPS = {
    "projects": ("Projects and people", "项目与成员"),
    "tasks": ("Tasks", "任务"),
    "plan": ("Planning", "计划"),
    "notify": ("Reminders and digests", "提醒与日报"),
    "general": ("You", "个人"),
}


@command(
    "help",
    aliases=("帮助", "?", "h"),
    usage="help [command]",
    summary="list the commands, or explain one",
    summary_zh="列出命令，或说明某个命令",
    group="general",
)
def help_command(req: Request) -> Reply:
    """List every command by group, or show one command's usage and aliases."""
    if req.args:
        cmd = lookup(req.args[0])
        if cmd is None:
            return Reply(
                text=req.t("There is no command {c!r}.", "没有命令 {c!r}。", c=req.args[0][:40]),
                ok=False,
                error="not_found",
            )
        summary = cmd.summary_zh if req.lang == "zh" else cmd.summary
        aliases = ", ".join(cmd.aliases)
        return Reply(
            text=f"`{cmd.usage}`\n{summary}"
            + (f"\n{req.t('Aliases', '别名')}: {aliases}" if aliases else "")
        )
    lines = [
        req.t(
            "Commands (prefix with `pm` or `/pm` if you like). Or just write a task in plain words:"
            " `tomorrow 3pm @bob write the report #WEB p1`.",
            "命令如下（可加前缀 `pm` 或 `/pm`）。也可以直接用自然语言："
            "`明天下午3点前 @张三 完成季度报告 #WEB 紧急`。",
        )
    ]
    for group, (en, zh) in GROUPS.items():
        cmds = [c for c in COMMANDS.values() if c.group == group]
        if not cmds:
            continue
        lines.append(f"\n*{zh if req.lang == 'zh' else en}*")
        for c in cmds:
            alias = f" ({c.aliases[0]})" if c.aliases and req.lang == "zh" else ""
            lines.append(f"• `{c.usage}`{alias}: {c.summary_zh if req.lang == 'zh' else c.summary}")
    return Reply(text="\n".join(lines))


@command(
    "whoami",
    aliases=("我是谁", "me"),
    usage="whoami",
    summary="who pmbot thinks you are, your zone and language",
    summary_zh="查看你的身份、时区和语言",
    group="general",
)
def whoami(req: Request) -> Reply:
    """Describe the actor."""
    me = describe_user(req.ctx)
    return Reply(
        text=req.t("You are {n}.", "你是 {n}。", n=me.name),
        fields=[
            (req.t("Admin", "管理员"), req.t("yes", "是") if me.is_admin else req.t("no", "否")),
            (req.t("Time zone", "时区"), me.timezone),
            (req.t("Language", "语言"), me.locale),
            (req.t("Accounts", "账号"), ", ".join(me.identities)),
        ],
    )


@command(
    "set",
    aliases=("设置",),
    usage="set tz ZONE | set lang zh|en | set alias NAME",
    summary="change your time zone, language, or add a name people can @mention you by",
    summary_zh="设置你的时区、语言或别名",
    group="general",
)
def set_command(req: Request) -> Reply:
    """Change the actor's preferences."""
    from bot.router import usage_error

    if len(req.args) != 2:
        raise usage_error(req, "set")
    what, value = req.args[0].lower(), req.args[1]
    if what in ("tz", "timezone", "时区"):
        me = set_preferences(req.ctx, timezone=value)
    elif what in ("lang", "language", "语言"):
        me = set_preferences(req.ctx, locale=value.lower())
    elif what in ("alias", "别名"):
        add_alias(req.ctx, value)
        return Reply(
            text=req.t(
                "People can now mention you as @{a}.",
                "现在可以用 @{a} 提到你了。",
                a=value.lstrip("@"),
            )
        )
    else:
        raise usage_error(req, "set")
    return Reply(
        text=req.t("Saved: {tz}, {lang}.", "已保存：{tz}，{lang}。", tz=me.timezone, lang=me.locale)
    )


__all__ = ["COMMANDS"]
