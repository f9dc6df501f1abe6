"""Command modules; importing this package registers every command with the router."""

from bot.commands import calendar, general, notify, projects, tasks

__all__ = ["calendar", "general", "notify", "projects", "tasks"]
