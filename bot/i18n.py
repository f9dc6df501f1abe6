"""Reply language: every user-facing sentence in English and Chinese, chosen per user."""

from __future__ import annotations

from typing import Literal

from core.errors import NotFound, PermissionDenied, PMError

Lang = Literal["zh", "en"]

_KINDS_ZH = {
    "task": "任务",
    "project": "项目",
    "user": "用户",
    "member": "成员",
    "channel": "频道",
    "notification": "通知",
}
_ACTIONS_ZH = {
    "see the project": "查看项目",
    "change the project's settings": "修改项目设置",
    "archive the project": "归档项目",
    "list members": "查看成员",
    "add and remove members": "添加和移除成员",
    "read tasks": "查看任务",
    "create tasks": "创建任务",
    "change tasks (status, dates, assignees)": "修改任务（状态、日期、负责人）",
    "delete tasks": "删除任务",
    "comment on tasks": "评论任务",
    "log time": "记录工时",
    "edit dependencies and milestones": "编辑依赖和里程碑",
    "see budget and cost figures": "查看预算和成本",
    "change the budget": "修改预算",
    "read the history of changes": "查看变更记录",
    "bind a chat channel to the project": "绑定群/频道",
    "change the organisation's calendar": "修改组织的工作日历",
    "create projects": "新建项目",
    "grant or revoke the creator role": "授予或收回新建项目的权限",
}
_ROLES_ZH = {
    "admin": "管理员(admin)",
    "manager": "项目经理(manager)",
    "member": "成员(member)",
    "finance": "财务(finance)",
    "guest": "访客(guest)",
}


def tr(lang: Lang, en: str, zh: str, /, **kw: object) -> str:
    """Pick the sentence for `lang` and fill in its fields."""
    return (zh if lang == "zh" else en).format(**kw)


def error_text(lang: Lang, err: PMError) -> str:
    """A user-facing sentence for a `PMError`, in the user's language."""
    if lang == "zh":
        if isinstance(err, NotFound):
            text = f"找不到{_KINDS_ZH.get(err.kind, err.kind)} {err.name}"
        elif isinstance(err, PermissionDenied):
            action = _ACTIONS_ZH.get(err.action, err.action)
            text = f"没有权限：需要 {_ROLES_ZH.get(err.needed, err.needed)} 角色才能{action}"
        else:
            text = f"⚠️ {err.zh or err.message}"
        hint = err.hint_zh or err.hint
        return text if not hint else f"{text}\n{hint}"
    prefix = "" if isinstance(err, NotFound | PermissionDenied) else "⚠️ "
    return prefix + str(err)
