"""Projects, memberships and channel bindings."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from core.calendar import is_known_calendar
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Channel, Membership, Project, Role, Task, TaskStatus, User
from core.netpolicy import Network, check_url
from core.permissions import Permission, allows
from core.schemas import ChannelOut, MemberOut, ProjectDraft, ProjectOut
from core.services.context import Ctx, get_project
from core.services.users import may_create_projects, user_ref

OPEN_STATUSES = (TaskStatus.TODO, TaskStatus.DOING, TaskStatus.BLOCKED)


def _open_counts(ctx: Ctx, project_ids: list[int]) -> dict[int, int]:
    """Open tasks per project, in one query."""
    rows = ctx.session.exec(
        select(Task.project_id, func.count())
        .where(
            col(Task.project_id).in_(project_ids),
            col(Task.status).in_(OPEN_STATUSES),
            col(Task.deleted_at).is_(None),
        )
        .group_by(col(Task.project_id))
    ).all()
    return dict(rows)


def _project_out(
    ctx: Ctx, project: Project, role: Role | None, open_tasks: int | None = None
) -> ProjectOut:
    assert project.id is not None
    if open_tasks is None:
        open_tasks = _open_counts(ctx, [project.id]).get(project.id, 0)
    see_money = allows(role, Permission.BUDGET_VIEW)
    return ProjectOut(
        id=project.id,
        key=project.key,
        name=project.name,
        description=project.description,
        timezone=project.timezone,
        calendar=project.calendar,
        archived=project.archived,
        budget=project.budget if see_money else None,
        spent=project.spent if see_money else None,
        open_tasks=open_tasks,
        role=role,
    )


def create_project(ctx: Ctx, key: str, name: str, **extra: object) -> ProjectOut:
    """Create a project (admins, and users granted `creator`); its creator becomes its manager."""
    if not may_create_projects(ctx):
        raise PermissionDenied("create projects", "admin")
    try:
        draft = ProjectDraft(key=key.strip().upper(), name=name.strip(), **extra)
    except ValidationError as exc:
        raise InvalidInput(
            "a project key is 2-10 letters or digits starting with a letter (e.g. WEB), "
            "and a project needs a name",
            hint="usage: project new KEY NAME",
            zh="项目编号为 2-10 位字母或数字、以字母开头（如 WEB），且项目需要名称",
            hint_zh="用法：project new KEY NAME",
        ) from exc
    if ctx.session.exec(select(Project).where(Project.key == draft.key)).first():
        raise Conflict(
            f"a project with key {draft.key} already exists", zh=f"编号为 {draft.key} 的项目已存在"
        )
    zone = draft.timezone or ctx.actor.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {zone!r}", zh=f"未知时区 {zone!r}") from exc
    project = Project(
        key=draft.key,
        name=draft.name,
        description=draft.description,
        timezone=zone,
        calendar=draft.calendar,
        budget=draft.budget,
        created_at=ctx.now,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(project)
            ctx.session.flush()
    except IntegrityError as exc:  # created by someone else since the check above
        raise Conflict(
            f"a project with key {draft.key} already exists", zh=f"编号为 {draft.key} 的项目已存在"
        ) from exc
    assert project.id is not None
    ctx.session.add(Membership(project_id=project.id, user_id=ctx.actor.user_id, role=Role.MANAGER))
    ctx.audit(
        entity="project",
        entity_id=project.key,
        action="create",
        project_id=project.id,
        after={"key": project.key, "name": project.name, "timezone": zone},
    )
    return _project_out(ctx, project, Role.ADMIN if ctx.actor.is_admin else Role.MANAGER)


def list_projects(
    ctx: Ctx, *, include_archived: bool = False, permission: Permission | None = None
) -> list[ProjectOut]:
    """The projects the actor can see (all for an admin), or only those allowing `permission`."""
    query = select(Project).order_by(Project.key)
    if not include_archived:
        query = query.where(Project.archived == False)  # noqa: E712  # SQL comparison
    if not ctx.actor.is_admin:
        query = query.join(Membership, Membership.project_id == Project.id).where(  # type: ignore[arg-type]  # SQLModel column
            Membership.user_id == ctx.actor.user_id
        )
    projects = ctx.session.exec(query).all()
    ids = [p.id for p in projects if p.id is not None]
    # Two queries for the whole page rather than two per project.
    counts = _open_counts(ctx, ids)
    roles = dict(
        ctx.session.exec(
            select(Membership.project_id, Membership.role).where(
                Membership.user_id == ctx.actor.user_id, col(Membership.project_id).in_(ids)
            )
        ).all()
    )
    out = []
    for project in projects:
        assert project.id is not None
        role = (
            Role.ADMIN
            if ctx.actor.is_admin
            else (Role(roles[project.id]) if project.id in roles else None)
        )
        if permission is None or allows(role, permission):
            out.append(_project_out(ctx, project, role, counts.get(project.id, 0)))
    return out


def show_project(ctx: Ctx, key: str) -> ProjectOut:
    """One project, if the actor may see it."""
    project = get_project(ctx.session, key)
    role = ctx.require(project, Permission.PROJECT_VIEW)
    return _project_out(ctx, project, role)


PROJECT_FIELDS = ("name", "description", "timezone", "calendar", "budget", "spent")


def edit_project(ctx: Ctx, key: str, field: str, value: str) -> ProjectOut:
    """Change one of a project's settings; money needs the budget right, the rest project.edit."""
    project = get_project(ctx.session, key)
    if field not in PROJECT_FIELDS:
        raise InvalidInput(
            f"a project has no setting {field!r}",
            hint="settings: " + ", ".join(PROJECT_FIELDS),
            zh=f"项目没有 {field!r} 这项设置",
            hint_zh="可设置：" + ", ".join(PROJECT_FIELDS),
        )
    money = field in ("budget", "spent")
    role = ctx.require(project, Permission.BUDGET_EDIT if money else Permission.PROJECT_EDIT)
    ensure_writable(project)
    text = value.strip()
    new: object
    if money:
        if field == "budget" and text.lower() in ("none", "off", "无"):
            new = None
        else:
            try:
                amount = float(text.replace(",", "").replace("_", ""))
            except ValueError as exc:
                raise InvalidInput(
                    f"{text!r} is not an amount",
                    hint="e.g. 120000 or 1,500.50",
                    zh=f"{text!r} 不是有效的金额",
                    hint_zh="例如 120000 或 1,500.50",
                ) from exc
            if not 0 <= amount < 1e15:  # also refuses nan and inf
                raise InvalidInput("an amount is 0 or more", zh="金额不能小于 0")
            new = amount
    elif field == "timezone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(
                f"unknown time zone {text!r}",
                hint="e.g. Asia/Shanghai",
                zh=f"未知时区 {text!r}",
                hint_zh="例如 Asia/Shanghai",
            ) from exc
        new = text
    elif field == "calendar":
        if not is_known_calendar(text):
            raise InvalidInput(
                f"unknown calendar {text!r}",
                hint="a country code such as CN, US, DE, or none",
                zh=f"未知日历 {text!r}",
                hint_zh="请填国家代码，如 CN、US、DE，或 none",
            )
        new = text.upper()
    else:
        limit = 200 if field == "name" else 4000
        if not text or len(text) > limit:
            raise InvalidInput(
                f"a project {field} has 1 to {limit} characters",
                zh=f"项目的 {field} 需要 1 到 {limit} 个字符",
            )
        new = text
    before = {field: getattr(project, field)}
    setattr(project, field, new)
    ctx.session.add(project)
    ctx.audit(
        entity="project",
        entity_id=project.key,
        action="edit",
        project_id=project.id,
        before=before,
        after={field: new},
    )
    return _project_out(ctx, project, role)


def archive_project(ctx: Ctx, key: str) -> ProjectOut:
    """Archive a project: it becomes read-only."""
    project = get_project(ctx.session, key)
    role = ctx.require(project, Permission.PROJECT_ARCHIVE)
    if project.archived:
        raise Conflict(f"{project.key} is already archived", zh=f"{project.key} 已经归档")
    project.archived = True
    ctx.session.add(project)
    ctx.audit(
        entity="project",
        entity_id=project.key,
        action="archive",
        project_id=project.id,
        before={"archived": False},
        after={"archived": True},
    )
    return _project_out(ctx, project, role)


def writable_project(ctx: Ctx, key: str, permission: Permission) -> Project:
    """Load a project for a change: it must exist, allow `permission`, and not be archived."""
    project = get_project(ctx.session, key)
    ctx.require(project, permission)
    ensure_writable(project)
    return project


def ensure_writable(project: Project) -> None:
    """Refuse changes to an archived project."""
    if project.archived:
        raise Conflict(f"{project.key} is archived and read-only", zh=f"{project.key} 已归档，只读")


def add_member(ctx: Ctx, key: str, user_id: int, role: str) -> MemberOut:
    """Add a user to a project with a role, or change their role."""
    project = writable_project(ctx, key, Permission.MEMBER_MANAGE)
    try:
        new_role = Role(role.strip().lower())
    except ValueError as exc:
        raise InvalidInput(
            f"unknown role {role!r}",
            hint="roles: manager, member, finance, guest",
            zh=f"未知角色 {role!r}",
            hint_zh="可选角色：manager, member, finance, guest",
        ) from exc
    if new_role is Role.ADMIN:
        raise InvalidInput(
            "admin is organisation-wide, not a project role",
            zh="admin 是全组织的角色，不是项目角色",
        )
    user = ctx.session.get(User, user_id)
    if user is None:
        raise NotFound("user", str(user_id))
    membership = ctx.session.exec(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user_id)
    ).first()
    before = {"role": membership.role} if membership else None
    if membership is None:
        assert project.id is not None
        membership = Membership(project_id=project.id, user_id=user_id, role=new_role)
    else:
        if membership.role == Role.MANAGER and new_role is not Role.MANAGER:
            _keep_a_manager(ctx, project, user)
        membership.role = new_role
    ctx.session.add(membership)
    ctx.audit(
        entity="member",
        entity_id=user_id,
        action="add" if before is None else "role",
        project_id=project.id,
        before=before,
        after={"user": user.name, "role": new_role.value},
    )
    return MemberOut(user=user_ref(user), role=new_role)


def _keep_a_manager(ctx: Ctx, project: Project, user: User) -> None:
    """Refuse to remove or demote a project's last manager."""
    managers = ctx.session.exec(
        select(func.count())
        .select_from(Membership)
        .where(Membership.project_id == project.id, Membership.role == Role.MANAGER)
    ).one()
    if managers <= 1:
        raise Conflict(
            f"{user.name} is the last manager of {project.key}; add another first",
            zh=f"{user.name} 是 {project.key} 唯一的项目经理，请先添加另一位",
        )


def remove_member(ctx: Ctx, key: str, user_id: int) -> MemberOut:
    """Remove a user from a project (a project keeps at least one manager)."""
    project = writable_project(ctx, key, Permission.MEMBER_MANAGE)
    membership = ctx.session.exec(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user_id)
    ).first()
    user = ctx.session.get(User, user_id)
    if membership is None or user is None:
        raise NotFound("member", user.name if user else str(user_id))
    if membership.role == Role.MANAGER:
        _keep_a_manager(ctx, project, user)
    ctx.session.delete(membership)
    ctx.audit(
        entity="member",
        entity_id=user_id,
        action="remove",
        project_id=project.id,
        before={"user": user.name, "role": membership.role},
    )
    return MemberOut(user=user_ref(user), role=Role(membership.role))


def list_members(ctx: Ctx, key: str) -> list[MemberOut]:
    """A project's members and roles."""
    project = get_project(ctx.session, key)
    ctx.require(project, Permission.MEMBER_VIEW)
    rows = ctx.session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]  # SQLModel column
        .where(Membership.project_id == project.id)
        .order_by(User.name)
    ).all()
    return [MemberOut(user=user_ref(u), role=Role(m.role)) for m, u in rows]


def _find_channel(ctx: Ctx, platform: str, tenant: str, channel_id: str) -> Channel | None:
    return ctx.session.exec(
        select(Channel).where(
            Channel.platform == platform,
            Channel.tenant == tenant,
            Channel.channel_id == channel_id,
        )
    ).first()


def ensure_channel(
    ctx: Ctx, *, platform: str, tenant: str, channel_id: str, name: str = ""
) -> Channel:
    """The stored channel for a platform channel id, created on first sight."""
    channel = _find_channel(ctx, platform, tenant, channel_id)
    if channel is None:
        channel = Channel(
            platform=platform,
            tenant=tenant,
            channel_id=channel_id,
            name=name[:200],
            language=ctx.actor.locale,
            timezone=ctx.actor.timezone,
        )
        ctx.session.add(channel)
        ctx.session.flush()
    return channel


def bind_channel(
    ctx: Ctx, key: str, *, platform: str, tenant: str, channel_id: str, name: str = ""
) -> ChannelOut:
    """Bind a chat channel to a project: digests and project defaults follow."""
    project = writable_project(ctx, key, Permission.CHANNEL_BIND)
    channel = ensure_channel(
        ctx, platform=platform, tenant=tenant, channel_id=channel_id, name=name
    )
    before: dict[str, object] = {"project_id": channel.project_id}
    current = (
        ctx.session.get(Project, channel.project_id)
        if channel.project_id not in (None, project.id)
        else None
    )
    if current is not None:
        # Re-binding takes the channel (its digests, its default project, what its people write)
        # away from a project: only that project's managers may.
        ctx.require(current, Permission.CHANNEL_BIND)
        before["project"] = current.key
    channel.project_id = project.id
    channel.timezone = project.timezone
    ctx.session.add(channel)
    for where in [project, current] if current is not None else [project]:
        ctx.audit(
            entity="channel",
            entity_id=f"{platform}:{channel_id}",
            action="bind",
            project_id=where.id,
            before=before,
            after={"project": project.key},
        )
    return channel_out(ctx, channel)


def channel_out(ctx: Ctx, channel: Channel) -> ChannelOut:
    """The output shape of a channel."""
    project = ctx.session.get(Project, channel.project_id) if channel.project_id else None
    return ChannelOut(
        platform=channel.platform,
        tenant=channel.tenant,
        channel_id=channel.channel_id,
        project_key=project.key if project else None,
        language=channel.language,
        timezone=channel.timezone,
        digest_time=channel.digest_time,
    )


def channel_project_key(ctx: Ctx, *, platform: str, tenant: str, channel_id: str) -> str | None:
    """The key of the project a channel is bound to, if any."""
    row = ctx.session.exec(
        select(Project.key)
        .join(Channel, Channel.project_id == Project.id)  # type: ignore[arg-type]  # SQLModel column
        .where(
            Channel.platform == platform,
            Channel.tenant == tenant,
            Channel.channel_id == channel_id,
        )
    ).first()
    return row


def bound_channel(
    ctx: Ctx, *, platform: str, tenant: str, channel_id: str
) -> tuple[Channel, Project]:
    """A channel and the project it is bound to; `InvalidInput` when it is bound to none."""
    channel = _find_channel(ctx, platform, tenant, channel_id)
    project = (
        ctx.session.get(Project, channel.project_id) if channel and channel.project_id else None
    )
    if channel is None or project is None:
        raise InvalidInput(
            "this channel is not bound to a project",
            hint="bind it first: channel bind KEY",
            zh="本群/频道还没有绑定项目",
            hint_zh="先绑定：channel bind KEY",
        )
    return channel, project


def set_channel_webhook(
    ctx: Ctx,
    *,
    platform: str,
    tenant: str,
    channel_id: str,
    url: str | None,
    secret: str | None = None,
    allow: Iterable[Network] = (),
) -> ChannelOut:
    """Give a bound channel a custom robot webhook (and signing secret) for its notifications.

    The URL must be public (`core.netpolicy`), unless it is inside an operator's `allow`."""
    channel, project = bound_channel(ctx, platform=platform, tenant=tenant, channel_id=channel_id)
    ctx.require(project, Permission.CHANNEL_BIND)
    ensure_writable(project)
    if url is not None:
        url = url.strip().strip("<>")
        if not url.startswith(("https://", "http://")) or len(url) > 1000 or " " in url:
            raise InvalidInput(
                "a webhook is an http(s) URL of at most 1000 characters",
                hint="usage: channel webhook URL [SECRET] | channel webhook off",
                zh="webhook 须是 http(s) 地址，最多 1000 个字符",
                hint_zh="用法：channel webhook URL [SECRET] | channel webhook off",
            )
        check_url(url, allow)
        if secret is not None and (len(secret) > 200 or not secret.strip()):
            raise InvalidInput(
                "a signing secret has 1 to 200 characters", zh="签名密钥需要 1 到 200 个字符"
            )
    before = {"webhook": bool(channel.webhook_url), "signed": bool(channel.webhook_secret)}
    channel.webhook_url = url
    channel.webhook_secret = secret if url is not None else None
    ctx.session.add(channel)
    ctx.audit(
        entity="channel",
        entity_id=f"{platform}:{channel_id}",
        action="webhook",
        project_id=project.id,
        before=before,
        # The secret is never written to the audit trail, only whether there is one.
        after={"webhook": url is not None, "signed": bool(channel.webhook_secret)},
    )
    return channel_out(ctx, channel)
