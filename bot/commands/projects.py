"""project, member and channel commands."""

from __future__ import annotations

from bot.router import Handler, Request, command, usage_error
from core.messages import Reply
from core.models import Role
from core.permissions import permission_table
from core.schemas import ProjectOut
from core.services import projects as svc
from core.services.users import grant_creator

_SUB = {
    "new": "new", "create": "new", "新建": "new", "创建": "new",
    "list": "list", "ls": "list", "列表": "list",
    "show": "show", "查看": "show",
    "archive": "archive", "归档": "archive",
    "add": "add", "添加": "add",
    "remove": "remove", "rm": "remove", "移除": "remove", "删除": "remove",
    "bind": "bind", "绑定": "bind",
    "roles": "roles", "角色": "roles",
    "set": "set", "设置": "set", "edit": "set",
}  # fmt: skip


_PROJECT_SETTINGS = {
    "name": "name", "名称": "name",
    "description": "description", "desc": "description", "描述": "description",
    "tz": "timezone", "timezone": "timezone", "时区": "timezone",
    "calendar": "calendar", "日历": "calendar",
    "budget": "budget", "预算": "budget",
    "spent": "spent", "支出": "spent", "成本": "spent",
}  # fmt: skip


def _sub(req: Request) -> str:
    if not req.args:
        return "list"
    sub = _SUB.get(req.args[0].lower())
    if sub is None:
        raise usage_error(req)
    return sub


def _project_fields(req: Request, p: ProjectOut) -> list[tuple[str, str]]:
    fields = [
        (req.t("Name", "名称"), p.name),
        (req.t("Open tasks", "未完成任务"), str(p.open_tasks)),
        (req.t("Time zone", "时区"), p.timezone),
        (req.t("Calendar", "日历"), p.calendar),
    ]
    if p.role:
        fields.append((req.t("Your role", "你的角色"), p.role.value))
    if p.budget is not None:
        fields.append((req.t("Budget", "预算"), f"{p.budget:,.2f} (spent {p.spent or 0:,.2f})"))
    if p.archived:
        fields.append((req.t("Archived", "已归档"), req.t("yes", "是")))
    return fields


@command(
    "project",
    aliases=("项目", "projects"),
    usage="project new KEY NAME | project list | project show KEY | project archive KEY | "
    "project set KEY name|description|tz|calendar|budget|spent VALUE",
    summary="create, list, show or archive projects",
    summary_zh="新建、列出、查看或归档项目",
    group="projects",
)
def project_command(req: Request) -> Reply:
    """Project management."""
    sub = _sub(req)
    args = req.args[1:]
    if sub == "new":
        if len(args) < 2:
            raise usage_error(req)
        p = svc.create_project(req.ctx, args[0], " ".join(args[1:]))
        return Reply(
            text=req.t(
                "Created project {k} ({n}). You are its manager. Next: `member add {k} @someone member`.",
                "已创建项目 {k}（{n}），你是项目经理。下一步：`成员 添加 {k} @某人 member`。",
                k=p.key,
                n=p.name,
            ),
            fields=_project_fields(req, p),
        )
    if sub == "list":
        projects = svc.list_projects(req.ctx)
        if not projects:
            return Reply(
                text=req.t(
                    "No projects yet. Create one: `project new WEB Website`.",
                    "还没有项目。新建一个：`项目 新建 WEB 官网`。",
                )
            )
        return Reply(
            text=req.t("{n} project(s):", "共 {n} 个项目：", n=len(projects)),
            table=[
                [
                    req.t("Key", "编号"),
                    req.t("Name", "名称"),
                    req.t("Open", "未完成"),
                    req.t("Role", "角色"),
                ]
            ]
            + [
                [p.key, p.name, str(p.open_tasks), p.role.value if p.role else ""] for p in projects
            ],
        )
    if sub == "roles":
        rows = permission_table()
        header = [
            req.t("Permission", "权限"),
            *[r.value for r in (Role.GUEST, Role.FINANCE, Role.MEMBER, Role.MANAGER, Role.ADMIN)],
        ]
        return Reply(
            text=req.t("Roles and permissions:", "角色与权限："),
            table=[header]
            + [[d, *("✓" if v else "" for v in allowed.values())] for d, allowed in rows],
        )
    if not args:
        raise usage_error(req)
    if sub == "show":
        p = svc.show_project(req.ctx, args[0])
        return Reply(
            text=f"{p.key}: {p.name}" + (f"\n{p.description}" if p.description else ""),
            fields=_project_fields(req, p),
            private=p.budget is not None,  # money is for the people the service showed it to
        )
    if sub == "set":
        if len(args) < 3:
            raise usage_error(req)
        name = _PROJECT_SETTINGS.get(args[1].lower())
        if name is None:
            raise usage_error(req)
        p = svc.edit_project(req.ctx, args[0], name, " ".join(args[2:]))
        return Reply(
            text=req.t("{k}: {f} updated.", "{k}：已更新{f}。", k=p.key, f=args[1]),
            fields=_project_fields(req, p),
        )
    if sub == "archive":
        p = svc.archive_project(req.ctx, args[0])
        return Reply(
            text=req.t("Archived {k}; it is now read-only.", "已归档 {k}，现在只读。", k=p.key)
        )
    raise usage_error(req)


@command(
    "member",
    aliases=("成员", "members"),
    usage="member add KEY @user ROLE | member remove KEY @user | member list KEY",
    summary="add or remove project members and set their role (manager, member, finance, guest)",
    summary_zh="添加/移除项目成员并设置角色（manager、member、finance、guest）",
    group="projects",
)
def member_command(req: Request) -> Reply:
    """Membership management."""
    sub = _sub(req)
    args = req.args[1:]
    if sub == "list":
        key = args[0] if args else req.default_project
        if not key:
            raise usage_error(req)
        members = svc.list_members(req.ctx, key)
        return Reply(
            text=req.t("Members of {k}:", "{k} 的成员：", k=key.upper()),
            table=[[req.t("Name", "姓名"), req.t("Role", "角色")]]
            + [[m.user.name, m.role.value] for m in members],
        )
    if sub == "add":
        if len(args) == 2 and req.default_project:
            args = [req.default_project, *args]
        if len(args) != 3:
            raise usage_error(req)
        user = req.user(args[1])
        assert user.id is not None
        m = svc.add_member(req.ctx, args[0], user.id, args[2])
        return Reply(
            text=req.t(
                "{u} is now {r} of {k}.",
                "{u} 现在是 {k} 的 {r}。",
                u=m.user.name,
                r=m.role.value,
                k=args[0].upper(),
            )
        )
    if sub == "remove":
        if len(args) == 1 and req.default_project:
            args = [req.default_project, *args]
        if len(args) != 2:
            raise usage_error(req)
        user = req.user(args[1])
        assert user.id is not None
        m = svc.remove_member(req.ctx, args[0], user.id)
        return Reply(
            text=req.t(
                "Removed {u} from {k}.", "已将 {u} 移出 {k}。", u=m.user.name, k=args[0].upper()
            )
        )
    raise usage_error(req)


# Sub-commands of `channel`; other command modules add theirs (e.g. `channel digest 09:30`).
CHANNEL_SUBCOMMANDS: dict[str, Handler] = {}


@command(
    "channel",
    aliases=("频道", "群"),
    usage="channel bind KEY | channel digest HH:MM|off | channel webhook URL [SECRET]|off",
    summary="bind this chat channel to a project (digests, default project)",
    summary_zh="把当前群/频道绑定到项目（日报、默认项目）",
    group="projects",
)
def channel_command(req: Request) -> Reply:
    """Channel settings: dispatches to a registered sub-command."""
    handler = CHANNEL_SUBCOMMANDS.get(req.args[0].lower()) if req.args else None
    if handler is None:
        raise usage_error(req, "channel")
    if not req.inbound.channel_id:
        return Reply(
            text=req.t("Run this inside the channel.", "请在对应的群/频道里执行。"),
            ok=False,
            error="invalid_input",
        )
    return handler(req)


def channel_bind(req: Request) -> Reply:
    """`channel bind KEY`."""
    if len(req.args) != 2:
        raise usage_error(req, "channel")
    ch = svc.bind_channel(
        req.ctx,
        req.args[1],
        platform=req.inbound.platform,
        tenant=req.inbound.tenant,
        channel_id=req.inbound.channel_id,
        name=req.inbound.channel_name,
    )
    return Reply(
        text=req.t(
            "This channel now follows {k}: tasks without a project go there, "
            "and the daily digest arrives at {t}.",
            "本群已绑定 {k}：不写项目的任务会进入该项目，每日 {t} 推送日报。",
            k=ch.project_key,
            t=ch.digest_time or "-",
        )
    )


def channel_webhook(req: Request) -> Reply:
    """`channel webhook URL [SECRET]` | `channel webhook off`: a custom robot for notifications."""
    args = req.args[1:]
    if not args or len(args) > 2:
        raise usage_error(req, "channel")
    off = args[0].lower() in ("off", "关闭", "none")
    svc.set_channel_webhook(
        req.ctx,
        platform=req.inbound.platform,
        tenant=req.inbound.tenant,
        channel_id=req.inbound.channel_id,
        url=None if off else args[0],
        secret=None if off or len(args) < 2 else args[1],
        allow=req.router.outbound_allow,
    )
    if off:
        return Reply(
            text=req.t(
                "Notifications here go through the app again.", "本群通知改回由应用机器人发送。"
            )
        )
    return Reply(
        text=req.t(
            "Notifications for this channel now go through that webhook{s}.",
            "本群通知将通过该自定义机器人发送{s}。",
            s=req.t(", signed", "（已签名）") if len(args) == 2 else "",
        )
    )


CHANNEL_SUBCOMMANDS.update(
    {
        "bind": channel_bind,
        "绑定": channel_bind,
        "webhook": channel_webhook,
        "机器人": channel_webhook,
    }
)


@command(
    "grant",
    aliases=("授权", "revoke", "收回授权"),
    usage="grant @user creator | revoke @user creator",
    summary="let someone create projects, or stop them (admins)",
    summary_zh="允许（或不再允许）某人新建项目（管理员）",
    group="projects",
)
def grant_command(req: Request) -> Reply:
    """The organisation's `creator` grant: who besides admins may create projects."""
    if len(req.args) != 2 or req.args[1].lower() not in ("creator", "创建者", "新建项目"):
        raise usage_error(req, "grant")
    on = req.command not in ("revoke", "收回授权")
    who = grant_creator(req.ctx, req.user(req.args[0]).id or 0, on)
    return Reply(
        text=req.t(
            "{n} may now create projects." if on else "{n} may no longer create projects.",
            "{n} 现在可以新建项目了。" if on else "{n} 不再可以新建项目。",
            n=who.name,
        )
    )
