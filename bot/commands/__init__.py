"""Command modules; importing this package registers every command with the router."""

from bot.commands import general, notify, projects, tasks

__all__ = ["general", "notify", "projects", "tasks"]
