"""Users, their platform identities, and resolving @mentions."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Alias, Identity, InboundEvent, User
from core.schemas import Actor, UserOut, UserRef
from core.services.context import Ctx


def to_actor(user: User, platform: str) -> Actor:
    """An `Actor` for a stored user."""
    assert user.id is not None
    return Actor(
        user_id=user.id,
        name=user.name,
        is_admin=user.is_admin,
        timezone=user.timezone,
        locale=user.locale,
        platform=platform,
    )


def ensure_user(
    session: Session,
    *,
    platform: str,
    tenant: str,
    external_id: str,
    display_name: str | None = None,
    timezone: str | None = None,
    locale: str | None = None,
    default_timezone: str = "UTC",
    default_locale: str = "zh",
) -> User:
    """Find the user behind a platform identity, creating both if new.

    The first user of an empty database becomes admin. A known user's display name, zone and
    locale are refreshed when the platform reports new ones; a new user the platform says nothing
    about gets the defaults (the deployment's zone and language).
    """
    external_id = external_id.strip()[:128]
    if not external_id:
        raise InvalidInput("a user id is needed", zh="需要用户 ID")
    identity = _identity(session, platform, tenant, external_id)
    if identity is None:
        try:
            with session.begin_nested():
                return _new_user(
                    session,
                    platform=platform,
                    tenant=tenant,
                    external_id=external_id,
                    display_name=display_name,
                    timezone=timezone if timezone and _valid_zone(timezone) else default_timezone,
                    locale=locale or default_locale,
                )
        except IntegrityError:
            # The same person's first two messages at once (or a mention racing a message):
            # the other transaction made the identity first, and its user stands.
            identity = _identity(session, platform, tenant, external_id)
            if identity is None:
                raise
    user = session.get(User, identity.user_id)
    assert user is not None
    if display_name and identity.display_name != display_name:
        identity.display_name = display_name[:200]
        session.add(identity)
    if timezone and _valid_zone(timezone) and user.timezone != timezone:
        user.timezone = timezone
        session.add(user)
    if locale and locale != user.locale:
        user.locale = locale
        session.add(user)
    return user


def _identity(session: Session, platform: str, tenant: str, external_id: str) -> Identity | None:
    return session.exec(
        select(Identity).where(
            Identity.platform == platform,
            Identity.tenant == tenant,
            Identity.external_id == external_id,
        )
    ).first()


def _new_user(
    session: Session,
    *,
    platform: str,
    tenant: str,
    external_id: str,
    display_name: str | None,
    timezone: str,
    locale: str,
) -> User:
    first = session.exec(select(func.count()).select_from(User)).one() == 0
    if first:
        first = _claim_first_admin(session)
    user = User(
        name=(display_name or external_id)[:200],
        is_admin=first,
        timezone=timezone,
        locale=locale,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    session.add(
        Identity(
            user_id=user.id,
            platform=platform,
            tenant=tenant,
            external_id=external_id,
            display_name=(display_name or external_id)[:200],
        )
    )
    session.flush()
    return user


def _claim_first_admin(session: Session) -> bool:
    """True for exactly one of several users arriving at once in an empty database.

    Counting users is not enough on PostgreSQL: two transactions both see none and both make an
    admin. The claim is a row under a unique constraint, so a concurrent claimer waits for the
    first to commit and then finds it taken (or takes it, if the first rolled back).
    """
    try:
        with session.begin_nested():
            session.add(InboundEvent(platform="pmbot", tenant="", event_id="first-admin"))
            session.flush()
    except IntegrityError:
        return False
    return True


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def resolve_user(
    session: Session,
    *,
    platform: str,
    tenant: str,
    handle: str,
    platform_ids: dict[str, str] | None = None,
    default_timezone: str = "UTC",
    default_locale: str = "zh",
) -> User:
    """Resolve a mention to one user: by platform id, then display name, name or alias.

    `platform_ids` maps a handle to a platform id the adapter knows for certain (a Slack
    `<@U123>`, a DingTalk at-user); such users are created on first sight. A name that fits
    several users, or none, raises an error that asks instead of guessing.
    """
    handle = handle.strip().lstrip("@").strip()
    if not handle:
        raise InvalidInput("an empty @mention", zh="@ 后面没有名字")
    lowered = handle.lower()
    if platform_ids and handle in platform_ids:
        if platform_ids[handle] == handle and _identity(session, platform, tenant, handle) is None:
            # The adapter only knows the name (the terminal chat): an alias someone set wins
            # over making a new account of it.
            aliased = set(
                session.exec(select(Alias.user_id).where(func.lower(Alias.alias) == lowered)).all()
            )
            if len(aliased) == 1 and (user := session.get(User, aliased.pop())) is not None:
                return user
        return ensure_user(
            session,
            platform=platform,
            tenant=tenant,
            external_id=platform_ids[handle],
            display_name=handle if handle != platform_ids[handle] else None,
            default_timezone=default_timezone,
            default_locale=default_locale,
        )
    by_identity = select(Identity.user_id).where(
        Identity.platform == platform,
        Identity.tenant == tenant,
        sa.or_(col(Identity.external_id) == handle, func.lower(Identity.display_name) == lowered),
    )
    candidates: set[int | None] = set(session.exec(by_identity).all())
    if not candidates:
        candidates |= set(
            session.exec(select(col(User.id)).where(func.lower(User.name) == lowered)).all()
        )
        candidates |= set(
            session.exec(select(Alias.user_id).where(func.lower(Alias.alias) == lowered)).all()
        )
    ids = {c for c in candidates if c is not None}
    if not ids:
        raise NotFound("user", handle, hint="mention them with @ so pmbot can see who they are")
    if len(ids) > 1:
        names = ", ".join(
            sorted(u.name for u in session.exec(select(User).where(col(User.id).in_(ids))))
        )
        raise Conflict(
            f"{handle!r} could mean several people ({names}); which one?",
            zh=f"{handle!r} 可能是多个人（{names}），是哪一位？",
        )
    user = session.get(User, ids.pop())
    assert user is not None
    return user


def describe_user(ctx: Ctx, user_id: int | None = None) -> UserOut:
    """The actor (or another user) with preferences and identities."""
    user = ctx.session.get(User, user_id or ctx.actor.user_id)
    if user is None or user.id is None:
        raise NotFound("user", str(user_id))
    identities = ctx.session.exec(select(Identity).where(Identity.user_id == user.id)).all()
    return UserOut(
        id=user.id,
        name=user.name,
        is_admin=user.is_admin,
        timezone=user.timezone,
        locale=user.locale,
        quiet_start=user.quiet_start,
        quiet_end=user.quiet_end,
        identities=[f"{i.platform}:{i.external_id}" for i in identities],
    )


def user_ref(user: User) -> UserRef:
    """The short form of a user."""
    assert user.id is not None
    return UserRef(id=user.id, name=user.name)


def set_preferences(ctx: Ctx, *, timezone: str | None = None, locale: str | None = None) -> UserOut:
    """Change the actor's time zone or language."""
    user = ctx.session.get(User, ctx.actor.user_id)
    assert user is not None
    before = {"timezone": user.timezone, "locale": user.locale}
    if timezone is not None:
        if not _valid_zone(timezone):
            raise InvalidInput(
                f"unknown time zone {timezone!r}",
                hint="e.g. Asia/Shanghai",
                zh=f"未知时区 {timezone!r}",
                hint_zh="例如 Asia/Shanghai",
            )
        user.timezone = timezone
    if locale is not None:
        if locale not in ("zh", "en"):
            raise InvalidInput("language must be zh or en", zh="语言只能是 zh 或 en")
        user.locale = locale
    ctx.session.add(user)
    ctx.audit(
        entity="user",
        entity_id=user.id,
        action="preferences",
        before=before,
        after={"timezone": user.timezone, "locale": user.locale},
    )
    return describe_user(ctx)


def add_alias(ctx: Ctx, alias: str) -> None:
    """Let the actor be mentioned by another name."""
    alias = alias.strip().lstrip("@")
    if not alias or len(alias) > 200:
        raise InvalidInput("an alias needs 1 to 200 characters", zh="别名需要 1 到 200 个字符")
    taken = ctx.session.exec(select(Alias).where(func.lower(Alias.alias) == alias.lower())).first()
    if taken is not None:
        raise Conflict(f"the alias {alias!r} is already taken", zh=f"别名 {alias!r} 已被占用")
    ctx.session.add(Alias(user_id=ctx.actor.user_id, alias=alias))
    ctx.audit(entity="user", entity_id=ctx.actor.user_id, action="alias", after={"alias": alias})


def grant_creator(ctx: Ctx, user_id: int, on: bool) -> UserRef:
    """Let a user create projects (the `creator` grant), or take it back (admins only)."""
    if not ctx.actor.is_admin:
        raise PermissionDenied("grant or revoke the creator role", "admin")
    user = ctx.session.get(User, user_id)
    if user is None:
        raise NotFound("user", str(user_id))
    before = {"creator": user.can_create_projects}
    user.can_create_projects = on
    ctx.session.add(user)
    ctx.audit(
        entity="user", entity_id=user_id, action="creator", before=before, after={"creator": on}
    )
    return user_ref(user)


def may_create_projects(ctx: Ctx) -> bool:
    """Admins and users granted `creator` may create projects."""
    if ctx.actor.is_admin:
        return True
    user = ctx.session.get(User, ctx.actor.user_id)
    return bool(user is not None and user.can_create_projects)
