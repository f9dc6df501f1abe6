"""Command modules; importing this package registers every command with the router."""

from bot.commands import general, projects, tasks

__all__ = ["general", "projects", "tasks"]
