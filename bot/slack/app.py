"""The Bolt app: every Slack event, command and interaction → one `Inbound` → the router.

Acknowledging comes first, always. Bolt runs a listener in its own small thread pool and, with
`process_before_response=False`, answers Slack as soon as `ack()` is called; our listeners ack
and then hand the slow part (users.info, the database, the LLM, posting the reply) to a separate
work pool, so a slow parser can never hold a Bolt thread and delay the next request's ack.
Redelivered events (HTTP retries, Socket Mode reconnects) carry the same `event_id`; the router
records it under a unique constraint, so they act once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import structlog
from slack_bolt import App as BoltApp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import IntegrityError

from bot.router import Router
from bot.settings import Settings
from bot.slack import home, modal
from bot.slack.blocks import (
    BUTTON_ACTION,
    PICKER_ACTION,
    USER_PLACEHOLDER,
    fallback_text,
    reply_blocks,
)
from bot.slack.clients import interactive_client
from bot.slack.inbound import Directory, Profile, inbound, tenant_of, translate_text
from bot.slack.oauth import oauth_enabled, oauth_settings
from core.messages import Reply
from core.services.users import ensure_user
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger(__name__)

COMMAND = "/pm"
NEW_TASK_SHORTCUT = "new_task"
MESSAGE_SHORTCUT = "create_task_from_message"
BOLT_THREADS = 16
WORK_THREADS = 16


class SlackAdapter:
    """pmbot's Slack side: the Bolt app, its work pool and the users.info cache."""

    def __init__(
        self,
        router: Router,
        settings: Settings,
        *,
        engine: Any = None,
        work_threads: int = WORK_THREADS,
    ) -> None:
        self.router = router
        self.settings = settings
        self.directory = Directory()
        self.work = ThreadPoolExecutor(max_workers=work_threads, thread_name_prefix="pmbot-slack")
        self._bolt_pool = ThreadPoolExecutor(
            max_workers=BOLT_THREADS, thread_name_prefix="pmbot-bolt"
        )
        self._pending: set[Future[None]] = set()
        self._pending_lock = threading.Lock()
        self.bolt = self._build_bolt(engine or router.engine)
        self._register()

    # -- construction ------------------------------------------------------------------------

    def _build_bolt(self, engine: Any) -> BoltApp:
        s = self.settings
        signing = s.slack_signing_secret.get_secret_value() if s.slack_signing_secret else ""
        common: dict[str, Any] = {
            "signing_secret": signing,
            "process_before_response": False,
            "listener_executor": self._bolt_pool,
            "name": "pmbot",
        }
        if oauth_enabled(s):
            app = BoltApp(
                client=interactive_client(s, None),
                oauth_settings=oauth_settings(s, engine),
                **common,
            )
            app.enable_token_revocation_listeners()
            return app
        if s.slack_bot_token is None:
            raise ValueError(
                "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) is needed"
            )
        return BoltApp(client=interactive_client(s, s.slack_bot_token.get_secret_value()), **common)

    def _register(self) -> None:
        bolt = self.bolt
        bolt.event("app_mention")(self._on_mention)
        bolt.event("message")(self._on_message)
        bolt.event("app_home_opened")(self._on_home_opened)
        bolt.command(COMMAND)(self._on_command)
        bolt.action(re.compile(f"^{BUTTON_ACTION}:"))(self._on_button)
        bolt.action(re.compile(f"^{PICKER_ACTION}:"))(self._on_pick)
        bolt.view(modal.CALLBACK_ID)(self._on_modal_submit)
        bolt.shortcut(NEW_TASK_SHORTCUT)(self._on_new_task_shortcut)
        bolt.shortcut(MESSAGE_SHORTCUT)(self._on_message_shortcut)
        bolt.error(self._on_error)
        if not oauth_enabled(self.settings):
            # With one bot token there is no installation to delete; say so once, and answer
            # 200 so Slack does not keep retrying an event nobody handles.
            bolt.event("app_uninstalled")(self._on_revoked)
            bolt.event("tokens_revoked")(self._on_revoked)

    def close(self) -> None:
        """Finish queued work and stop the thread pools."""
        self.drain()
        self.work.shutdown(wait=True)
        self._bolt_pool.shutdown(wait=True)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait for the work queued so far (for tests, benchmarks and shutdown)."""
        with self._pending_lock:
            pending = list(self._pending)
        for future in pending:
            future.exception(timeout=timeout)

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("slack_work_failed", work=getattr(fn, "__name__", "?"))

        future = self.work.submit(run)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._pending_lock:
            self._pending.discard(future)

    # -- people ------------------------------------------------------------------------------

    def _profile(
        self, client: WebClient, tenant: str, user_id: str, mentions: dict[str, str]
    ) -> Profile:
        """The sender's profile; new people (sender, then mentions) are stored with their names."""
        sender, fresh = self.directory.lookup(client, tenant, user_id)
        others = []
        for mentioned in mentions.values():
            profile, new = self.directory.lookup(client, tenant, mentioned)
            if new:
                others.append(profile)
        if fresh or others:
            try:
                self._store_people(tenant, [sender, *others] if fresh else others)
            except IntegrityError:
                # Another thread stored the same newcomer a moment ago; the router finds them.
                log.info("slack_people_stored_concurrently", team=tenant)
        return sender

    def _store_people(self, tenant: str, people: list[Profile]) -> None:
        # The sender goes first: in an empty database the first user becomes the admin.
        with session_scope(self.router.engine, immediate=True) as session:
            for p in people:
                ensure_user(
                    session,
                    platform="slack",
                    tenant=tenant,
                    external_id=p.user_id,
                    display_name=p.name,
                    timezone=p.timezone,
                    locale=p.locale,
                )

    # -- events ------------------------------------------------------------------------------

    def _on_mention(
        self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any
    ) -> None:
        """`@pmbot ...` in a channel: the reply goes into the message's thread."""
        if event.get("bot_id") or not event.get("user"):
            return  # other bots' mentions are not requests from a person
        self._submit(self._handle_message, body, event, client, context.bot_user_id, False)

    def _on_message(
        self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any
    ) -> None:
        """A direct message to the bot (other message events are not ours to answer)."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        self._submit(self._handle_message, body, event, client, context.bot_user_id, True)

    def _handle_message(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: WebClient,
        bot_user_id: str | None,
        direct: bool,
    ) -> None:
        tenant = tenant_of(body)
        text, mentions = translate_text(str(event.get("text") or ""), bot_user_id=bot_user_id)
        profile = self._profile(client, tenant, str(event["user"]), mentions)
        thread = event.get("thread_ts") or event.get("ts")
        message = inbound(
            tenant=tenant,
            profile=profile,
            text=text,
            mentions=mentions,
            channel_id=str(event.get("channel") or ""),
            thread_id=thread,
            event_id=str(body.get("event_id") or f"msg:{event.get('channel')}:{event.get('ts')}"),
            is_direct=direct,
        )
        reply = self.router.handle(message)
        if reply is None:
            return  # a redelivery of an event already answered
        # In a channel the answer joins the mention's thread; in a DM only if it was in one.
        thread_ts = event.get("thread_ts") if direct else thread
        if reply.private and not direct:
            # for the asker's eyes only, and a pointer where everyone can read
            client.chat_postEphemeral(
                channel=message.channel_id,
                user=str(event["user"]),
                thread_ts=thread_ts,
                text=fallback_text(reply),
                blocks=reply_blocks(reply),
            )
            client.chat_postMessage(
                channel=message.channel_id,
                thread_ts=thread_ts,
                text=fallback_text(Reply(text=reply.pointer)),
                unfurl_links=False,
            )
            return
        client.chat_postMessage(
            channel=message.channel_id,
            thread_ts=thread_ts,
            text=fallback_text(reply),
            blocks=reply_blocks(reply),
            unfurl_links=False,
        )

    def _on_home_opened(
        self, body: dict[str, Any], event: dict[str, Any], client: WebClient
    ) -> None:
        """Publish the Home tab when the user opens it."""
        if event.get("tab", "home") != "home":
            return
        self._submit(self._publish_home, client, tenant_of(body), str(event["user"]))

    def _publish_home(self, client: WebClient, tenant: str, user_id: str) -> None:
        profile = self._profile(client, tenant, user_id, {})
        who = inbound(
            tenant=tenant, profile=profile, text="", mentions={}, channel_id="",
            thread_id=None, event_id="", is_direct=True,
        )  # fmt: skip
        client.views_publish(user_id=user_id, view=home.home_view(self.router, who))

    # -- /pm ---------------------------------------------------------------------------------

    def _on_command(self, ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        """`/pm <command>` runs it; `/pm` alone opens the new-task modal."""
        text = str(body.get("text") or "").strip()
        if not text:
            ack()
            # views.open must follow the trigger within 3 s, so it is not queued behind other work.
            origin = modal.Origin(
                channel=body.get("channel_id"), response_url=body.get("response_url")
            )
            self._open_modal(
                client, body, str(body["user_id"]), str(body.get("channel_id") or ""), origin
            )
            return
        ack()
        self._submit(self._run_command, body, client, respond, text)

    def _run_command(
        self, body: dict[str, Any], client: WebClient, respond: Any, text: str
    ) -> None:
        tenant = tenant_of(body)
        plain, mentions = translate_text(text)
        profile = self._profile(client, tenant, str(body["user_id"]), mentions)
        channel = str(body.get("channel_id") or "")
        message = inbound(
            tenant=tenant,
            profile=profile,
            text=plain,
            mentions=mentions,
            channel_id=channel,
            thread_id=None,
            event_id=f"cmd:{body.get('trigger_id')}",
            is_direct=channel.startswith("D") or body.get("channel_name") == "directmessage",
            channel_name=str(body.get("channel_name") or ""),
        )
        reply = self.router.handle(message)
        if reply is not None:
            respond(
                text=fallback_text(reply),
                blocks=reply_blocks(reply),
                response_type="ephemeral",
                replace_original=False,
            )

    # -- the modal ---------------------------------------------------------------------------

    def _open_modal(
        self,
        client: WebClient,
        body: dict[str, Any],
        user_id: str,
        channel: str,
        origin: modal.Origin,
        *,
        title: str = "",
        description: str = "",
    ) -> None:
        tenant = tenant_of(body)
        profile = self.directory.cached(tenant, user_id) or Profile(user_id, None, None, None)
        who = inbound(
            tenant=tenant, profile=profile, text="", mentions={}, channel_id=channel,
            thread_id=None, event_id="", is_direct=channel.startswith("D"),
        )  # fmt: skip
        view = modal.open_modal_view(
            self.router, who, origin=origin, title=title, description=description
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def _on_new_task_shortcut(self, ack: Any, body: dict[str, Any], client: WebClient) -> None:
        """Global shortcut "New task"."""
        ack()
        user = str(body["user"]["id"])
        self._open_modal(client, body, user, "", modal.Origin())

    def _on_message_shortcut(self, ack: Any, body: dict[str, Any], client: WebClient) -> None:
        """Message shortcut "Create task from message": the modal, prefilled with the message."""
        ack()
        message = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or "")
        text, _ = translate_text(str(message.get("text") or ""))
        first_line = text.split("\n", 1)[0].strip()
        origin = modal.Origin(
            channel=channel,
            message_ts=message.get("ts"),
            thread_ts=message.get("thread_ts") or message.get("ts"),
            response_url=body.get("response_url"),
        )
        self._open_modal(
            client, body, str(body["user"]["id"]), channel, origin,
            title=first_line[:200], description=text,
        )  # fmt: skip

    def _on_modal_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """The modal was submitted: close it now, create the task after the ack."""
        ack()
        self._submit(self._create_from_modal, body, view, client)

    def _create_from_modal(
        self, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        tenant = tenant_of(body)
        user_id = str(body["user"]["id"])
        form = modal.read_form(view)
        origin = modal.Origin.load(view.get("private_metadata"))
        profile = self._profile(client, tenant, user_id, {u: u for u in form.assignees})
        who = inbound(
            tenant=tenant, profile=profile, text="", mentions={}, channel_id=origin.channel or "",
            thread_id=origin.thread_ts, event_id="", is_direct=not origin.channel,
        )  # fmt: skip
        source = None
        if origin.channel and origin.message_ts:
            try:
                source = client.chat_getPermalink(
                    channel=origin.channel, message_ts=origin.message_ts
                )["permalink"]
            except (SlackApiError, SlackClientError, KeyError):
                source = f"slack:{origin.channel}:{origin.message_ts}"
        reply = modal.create_from_form(self.router, who, form, source_ref=source)
        self._deliver_modal_result(client, user_id, origin, reply)

    def _deliver_modal_result(
        self, client: WebClient, user_id: str, origin: modal.Origin, reply: Reply
    ) -> None:
        text, blocks = fallback_text(reply), reply_blocks(reply)
        if origin.message_ts and origin.channel and reply.ok:
            # A task made from a message is announced in that message's thread: the link back.
            try:
                client.chat_postMessage(
                    channel=origin.channel, thread_ts=origin.thread_ts, text=text, blocks=blocks
                )
                return
            except SlackApiError as exc:
                log.info("slack_thread_reply_failed", error=exc.response.get("error"))
        if origin.response_url:
            WebhookClient(origin.response_url).send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
            return
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)

    # -- buttons -----------------------------------------------------------------------------

    def _on_button(
        self,
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        respond: Any,
    ) -> None:
        """A button: run its command as the person who pressed it, then update the message."""
        ack()
        self._submit(self._press, body, str(action.get("value") or ""), {}, client, respond, action)

    def _on_pick(
        self,
        ack: Any,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        respond: Any,
    ) -> None:
        """A user picker (Reassign): its command with the picked user filled in."""
        ack()
        picked = str(action.get("selected_user") or "")
        template = str(action.get("action_id", "")).removeprefix(f"{PICKER_ACTION}:")
        if not picked or USER_PLACEHOLDER not in template:
            return
        command = template.replace(USER_PLACEHOLDER, f"@{picked}")
        self._submit(self._press, body, command, {picked: picked}, client, respond, action)

    def _press(
        self,
        body: dict[str, Any],
        command: str,
        mentions: dict[str, str],
        client: WebClient,
        respond: Any,
        action: dict[str, Any],
    ) -> None:
        tenant = tenant_of(body)
        user_id = str(body["user"]["id"])
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        message = body.get("message") or {}
        profile = self._profile(client, tenant, user_id, mentions)
        press = inbound(
            tenant=tenant,
            profile=profile,
            text=command,
            mentions=mentions,
            channel_id=channel,
            thread_id=message.get("thread_ts"),
            event_id=f"action:{action.get('action_ts') or body.get('trigger_id')}:{user_id}",
            is_direct=channel.startswith("D"),
        )
        reply = self.router.handle(press)
        if reply is None:
            return
        if container.get("type") == "view":
            self._publish_home(client, tenant, user_id)
            if reply.ok:
                return
            client.chat_postMessage(
                channel=user_id, text=fallback_text(reply), blocks=reply_blocks(reply)
            )
            return
        text, blocks = fallback_text(reply), reply_blocks(reply)
        if not reply.ok or (reply.private and not channel.startswith("D")):
            # A refusal must not wipe the reminder (and its buttons), and a private answer
            # (comments, budget) must not replace what the channel sees: tell only the presser.
            if container.get("is_ephemeral") or not channel:
                respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            else:
                client.chat_postEphemeral(channel=channel, user=user_id, text=text, blocks=blocks)
            return
        if container.get("is_ephemeral") or not container.get("message_ts"):
            respond(text=text, blocks=blocks, replace_original=True)
            return
        client.chat_update(channel=channel, ts=container["message_ts"], text=text, blocks=blocks)

    # -- errors ------------------------------------------------------------------------------

    def _on_revoked(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """The workspace removed pmbot or revoked its tokens (single-workspace mode)."""
        log.warning("slack_access_revoked", team=tenant_of(body), event=event.get("type"))

    def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        """Bolt could not run a listener: log it (without the body, which holds tokens)."""
        log.error("slack_listener_error", error=repr(error)[:300], type=body.get("type"))


def build_slack_app(app: App, *, engine: Any = None) -> SlackAdapter:
    """The Slack adapter for a built pmbot `App` (its router and settings)."""
    return SlackAdapter(app.router, app.settings, engine=engine or app.engine)
