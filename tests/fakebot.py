"""A fake Telegram Bot API server for tests.

:class:`FakeBotAPI` is a small :mod:`aiohttp.web` server bound to ``127.0.0.1`` on a free
port.  Point a real :class:`telegram.Bot` (or an ``Application``) at it via ``base_url`` and
it answers like Telegram does, records every request, delivers updates you push to
``getUpdates`` long-polls and can inject faults (flood control, 5xx, dropped connections,
latency).

Example::

    from telegram.ext import ApplicationBuilder, CommandHandler
    from tests.fakebot import FakeBotAPI

    async def test_start_replies() -> None:
        async with FakeBotAPI() as api:
            app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
            app.add_handler(CommandHandler("start", start))   # replies "hi"
            async with app:
                await app.start()
                await app.updater.start_polling(poll_interval=0, timeout=1)
                api.user_message(42, "/start")                 # user 42 sends /start
                [rec] = await api.wait_for("sendMessage", lambda p: p["chat_id"] == 42)
                assert rec.params["text"] == "hi"
                await app.updater.stop()
                await app.stop()

    # a plain Bot works too:  async with Bot(api.token, base_url=api.base_url) as bot: ...

Request parameters
    PTB sends form data (urlencoded, or multipart when uploading files) whose values are all
    strings, JSON-encoding everything that is not a string.  The server decodes values that
    are valid JSON (objects, arrays, numbers, booleans), so ``params["chat_id"]`` is an
    ``int`` and ``params["reply_markup"]`` is a ``dict``.  Free-text parameters (``text``,
    ``caption``, ``data``, ``parse_mode``, ...) are always kept verbatim.  The undecoded
    values are in ``Recorded.raw_params``; uploaded files (multipart parts with a filename)
    are in ``Recorded.files`` as ``bytes``.

Waiting
    :meth:`FakeBotAPI.wait_for` is event driven: it wakes whenever a request is recorded, so
    tests never need ``asyncio.sleep``.  Pass ``since=len(api.requests)`` to only consider
    requests recorded after a given point.

Updates
    :meth:`FakeBotAPI.push_update` and the builders (:meth:`~FakeBotAPI.user_message`,
    :meth:`~FakeBotAPI.edited_message`, :meth:`~FakeBotAPI.callback_query`,
    :meth:`~FakeBotAPI.redeliver`) queue updates.  ``getUpdates`` follows Telegram: ``offset``
    confirms (drops) updates with a smaller ``update_id``; pending updates are returned in
    ``update_id`` order; with nothing pending it long-polls for ``timeout`` seconds and wakes
    as soon as an update is pushed.  A newer ``getUpdates`` makes a still waiting older one
    fail with 409 Conflict, as Telegram does.  ``redeliver`` re-queues an update with its old
    ``update_id``; it is delivered once even if that id was already confirmed.

Faults
    ``fail_next`` (429 with ``retry_after``, 5xx, 400, 403, ...), ``slow_next`` and
    ``drop_next`` queue faults per method, consumed in order; the requests are still recorded
    with ``Recorded.fault`` set.  PTB raises ``RetryAfter`` for 429, ``NetworkError`` for 5xx
    and dropped connections, ``BadRequest``/``Forbidden`` for 400/403.

Senders that are not users
    :meth:`~FakeBotAPI.anonymous_admin_message` (``from`` GroupAnonymousBot, ``sender_chat``
    the group) and :meth:`~FakeBotAPI.channel_message` (``from`` Channel_Bot, ``sender_chat``
    the channel) push messages as Telegram delivers them; commands get bot_command entities.

Refusals (Telegram's descriptions, so PTB raises its real exception types)
    * Text over 4096 and captions over 1024 UTF-16 code units (counted on the text as sent):
      400 "message is too long" / "message caption is too long"; empty or blank text: 400
      "message text is empty".
    * :meth:`~FakeBotAPI.upgrade_to_supergroup` migrates a group: the old id then answers 400
      with ``parameters.migrate_to_chat_id`` (PTB: ``ChatMigrated``).
    * :meth:`~FakeBotAPI.remove_bot` / :meth:`~FakeBotAPI.block_bot` push ``my_chat_member``;
      sends then get 403 ("bot was kicked from the group chat", "bot is not a member of the
      supergroup chat", "bot was blocked by the user", ...) until :meth:`~FakeBotAPI.add_bot`.
      Chats the bot was never removed from need no ``add_bot``.
    * :meth:`~FakeBotAPI.create_topic` makes a forum; a ``message_thread_id`` the chat does
      not have gets 400 "message thread not found"; without one a send goes to General.
    * ``answerCallbackQuery`` for an id never pushed, answered already or older than
      ``callback_answer_window`` seconds (from the push; :meth:`~FakeBotAPI.expire_callbacks`
      ages them all at once): 400 "query is too old ...".
    * ``deleteMessage`` deletes (a second delete or an unknown id: 400 "message to delete
      not found"); replying to a deleted message (also one deleted with
      :meth:`~FakeBotAPI.delete_user_message`) gets 400 "message to be replied not found"
      unless ``allow_sending_without_reply``; replies to ids the fake never saw work.

Other behaviour
    Message ids increase per chat (shared by user and bot messages, as in Telegram).  Edits of
    messages the fake never saw are accepted (of deleted ones: "message to edit not found");
    an edit that changes nothing fails with "message is not modified".  Uploaded files get
    file ids that work with ``getFile`` and can be downloaded from
    :attr:`FakeBotAPI.base_file_url`.  :meth:`FakeBotAPI.set_handler` answers any other
    method (or overrides a built-in one).

All methods must be called from the event loop the server runs on.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import inspect
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from aiohttp import BodyPartReader, web

__all__ = ["FakeBotAPI", "Recorded"]

JSON = dict[str, Any]
Handler = Callable[["Recorded"], Any]

#: Parameters that are free text and must never be JSON-decoded.
TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "data",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "url",
        "title",
        "description",
        "short_description",
        "name",
        "query",
        "emoji",
        "file_id",
        "language_code",
        "secret_token",
        "question",
        "explanation",
        "first_name",
        "last_name",
        "phone_number",
        "address",
        "payload",
        "currency",
        "next_offset",
        "custom_title",
        "game_short_name",
        "invite_link",
    }
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

#: Telegram's limits, in UTF-16 code units of the text as sent.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

#: The sender Telegram puts in ``from`` for an anonymous group administrator.
ANONYMOUS_ADMIN: JSON = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
#: The sender Telegram puts in ``from`` for a message sent on behalf of a channel.
CHANNEL_BOT: JSON = {
    "id": 136817688,
    "is_bot": True,
    "first_name": "Channel",
    "username": "Channel_Bot",
}

#: The rights of the bot as an administrator (the fields PTB's ChatMemberAdministrator needs).
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)

_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_INT_RE = re.compile(r"-?\d+")
_NUMBER_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


@dataclass
class Recorded:
    """One request received by the fake server."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    raw_params: dict[str, Any] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)
    #: ``None`` for a normal answer, else e.g. ``"status:429"``, ``"slow:0.5"``, ``"drop"``,
    #: ``"unauthorized"``.
    fault: str | None = None
    #: HTTP status of the answer (``None`` while in flight or when the connection was dropped).
    status: int | None = None
    #: The JSON body answered (``None`` while in flight or when dropped).
    response: Any = None


@dataclass
class _Fault:
    kind: Literal["fail", "slow", "drop"]
    times: int
    status: int = 0
    retry_after: int = 0
    description: str | None = None
    delay: float = 0.0

    @property
    def label(self) -> str:
        if self.kind == "fail":
            return f"status:{self.status}"
        if self.kind == "slow":
            return f"slow:{self.delay:g}"
        return "drop"


@dataclass
class _Pending:
    update: JSON
    # Redelivered updates are exempt from offset confirmation until delivered once.
    protected: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class _StoredFile:
    data: bytes
    unique_id: str
    path: str


class _ApiError(Exception):
    def __init__(
        self, status: int, description: str | None = None, parameters: JSON | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.parameters = parameters
        self.description = description or _DEFAULT_DESCRIPTIONS.get(
            status, HTTPStatus(status).phrase
        )


class _Notifier:
    """A condition variable that can be notified from synchronous code."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify_all(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        """Wait until ``predicate()`` is true (re-checked on each notify); False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.add(fut)
            try:
                async with asyncio.timeout(remaining):
                    await fut
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(fut)
        return True


def _decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in TEXT_PARAMS:
        return value
    stripped = value.strip()
    if (
        stripped[:1] in ("{", "[")
        or stripped in ("true", "false")
        or _NUMBER_RE.fullmatch(stripped)
    ):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's limits and offsets."""
    return len(text.encode("utf-16-le")) // 2


def _check_caption(caption: Any) -> None:
    if isinstance(caption, str) and _utf16_len(caption) > CAPTION_LIMIT:
        raise _ApiError(400, "Bad Request: message caption is too long")


def _check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _ApiError(400, "Bad Request: message text is empty")
    if _utf16_len(text) > TEXT_LIMIT:
        raise _ApiError(400, "Bad Request: message is too long")
    return text


def _removal_description(chat: JSON, status: str) -> str:
    """Telegram's 403 description for a send to a chat the bot was removed from."""
    if chat["type"] == "private":
        return "Forbidden: bot was blocked by the user"
    kind = {"supergroup": "supergroup chat", "channel": "channel chat"}.get(
        str(chat["type"]), "group chat"
    )
    if status == "kicked":
        return f"Forbidden: bot was kicked from the {kind}"
    return f"Forbidden: bot is not a member of the {kind}"


def _command_entities(text: str) -> list[JSON]:
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(match.group(0))}]


class FakeBotAPI:
    """A fake Telegram Bot API HTTP server; see the module docstring for usage."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_id: int = 123456,
        bot_username: str = "organiser_test_bot",
        callback_answer_window: float = 15.0,
    ) -> None:
        self.token = token
        self.callback_answer_window = callback_answer_window
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.requests: list[Recorded] = []

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._recorded = _Notifier()
        self._updates_changed = _Notifier()

        self._pending: list[_Pending] = []
        self._last_update_id = 0
        self._poll_generation = 0

        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._custom: dict[str, Handler] = {}

        self._message_ids: defaultdict[int, int] = defaultdict(int)
        self._messages: dict[tuple[int, int], JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._usernames: dict[str, int] = {}
        self._files: dict[str, _StoredFile] = {}
        self._commands: dict[str, list[JSON]] = {}
        self._counter = itertools.count(1)
        # Chat state changed by the test: old group id -> supergroup id; chat id -> 403
        # description; the bot's status per chat; forum topics (thread id -> name).
        self._migrated: dict[int, int] = {}
        self._removed: dict[int, str] = {}
        self._bot_status: dict[int, str] = {}
        self._topics: dict[int, dict[int, str]] = {}
        self._deleted: set[tuple[int, int]] = set()
        # Callback query id -> time.monotonic() when pushed; dropped once answered.
        self._callbacks: dict[str, float] = {}

        table: dict[str, Callable[[Recorded], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": lambda _rec: True,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getFile": self._get_file,
            "close": lambda _rec: True,
            "logOut": lambda _rec: True,
        }
        self._methods = {name.lower(): fn for name, fn in table.items()}
        self._canonical = {name.lower(): name for name in table}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start serving on 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI already started")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._stopping = False
        self._stop_event.clear()

    async def stop(self) -> None:
        """Stop the server, waking pending long-polls and cancelling injected delays."""
        if self._runner is None:
            return
        self._stopping = True
        self._stop_event.set()
        self._updates_changed.notify_all()
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self._port = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:4242``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)``; PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``Bot(base_file_url=...)``; PTB appends the token."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> JSON:
        """The bot's ``User`` object as returned by ``getMe``."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Organiser Test Bot",
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Params of every recorded request to ``method`` (faulted ones included)."""
        key = method.lower()
        return [r.params for r in self.requests if r.method.lower() == key]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of successful ``sendMessage`` calls, optionally only to ``chat_id``.

        Calls the fake refused (too long, bot removed, ...) and injected faults are left out;
        a call still in flight counts.
        """
        return [
            str(r.params.get("text", ""))
            for r in self.requests
            if r.method == "sendMessage"
            and r.fault is None
            and r.status in (None, 200)
            and (chat_id is None or str(r.params.get("chat_id")) == str(chat_id))
        ]

    def clear(self) -> None:
        """Forget recorded requests (pending updates, faults and chat state are kept)."""
        self.requests.clear()

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        since: int = 0,
    ) -> list[Recorded]:
        """Wait until ``count`` requests to ``method`` matching ``predicate(params)`` exist.

        Requests already in ``self.requests[since:]`` count.  Returns the first ``count``
        matches; raises :class:`AssertionError` listing what was received on timeout.
        """
        key = method.lower()

        def matches() -> list[Recorded]:
            return [
                r
                for r in self.requests[since:]
                if r.method.lower() == key and (predicate is None or predicate(r.params))
            ]

        if await self._recorded.wait_until(lambda: len(matches()) >= count, timeout):
            return matches()[:count]
        found = len(matches())
        received = "\n".join(
            f"  #{i} {r.method} {r.params!r}" + (f" [fault={r.fault}]" if r.fault else "")
            for i, r in enumerate(self.requests[since:], start=since)
        )
        raise AssertionError(
            f"timed out after {timeout}s waiting for {count} {method} request(s)"
            f"{' matching predicate' if predicate else ''}; got {found}. "
            f"Received since #{since}:\n{received or '  (nothing)'}"
        )

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with an error of HTTP ``status``."""
        if status < 400:
            raise ValueError(f"fail_next() needs an error status (>= 400), got {status}")
        self._faults[method.lower()].append(
            _Fault("fail", times, status=status, retry_after=retry_after, description=description)
        )

    def slow_next(self, method: str, delay: float, *, times: int = 1) -> None:
        """Delay the answer to the next ``times`` calls to ``method`` by ``delay`` seconds."""
        self._faults[method.lower()].append(_Fault("slow", times, delay=delay))

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls to ``method``."""
        self._faults[method.lower()].append(_Fault("drop", times))

    def set_handler(self, method: str, handler: Handler | None) -> None:
        """Answer ``method`` with ``handler(recorded)`` (sync or async); ``None`` resets."""
        if handler is None:
            self._custom.pop(method.lower(), None)
        else:
            self._custom[method.lower()] = handler

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        return fault

    # ------------------------------------------------------------------ updates

    def push_update(self, update: JSON) -> JSON:
        """Queue ``update`` for ``getUpdates`` (assigns ``update_id`` if absent); returns it."""
        if "update_id" not in update:
            self._last_update_id += 1
            update["update_id"] = self._last_update_id
        else:
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        self._enqueue(_Pending(copy.deepcopy(update)))
        return update

    def redeliver(self, update: JSON) -> JSON:
        """Queue the very same update again (same ``update_id``), even if confirmed."""
        if "update_id" not in update:
            raise ValueError("redeliver() needs an update that has an update_id")
        self._enqueue(_Pending(copy.deepcopy(update), protected=True))
        return update

    @property
    def pending_updates(self) -> list[JSON]:
        """Copies of the updates not yet confirmed by a ``getUpdates`` offset."""
        return [copy.deepcopy(p.update) for p in self._pending]

    def _enqueue(self, pending: _Pending) -> None:
        bisect.insort_right(self._pending, pending, key=lambda p: p.update_id)
        self._updates_changed.notify_all()

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        message_id: int | None = None,
        date: int | None = None,
        entities: list[JSON] | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """Push a text message from a user; a leading ``/command`` gets a bot_command entity.

        With ``message_thread_id`` the message is in that forum topic (``is_topic_message``)
        of a supergroup, which becomes a forum; the topic becomes known to sends.
        """
        user = self._user(user_id, first_name, username)
        if chat_type == "private":
            if message_thread_id is not None:
                raise ValueError("user_message(message_thread_id=...) needs a supergroup")
            chat_id = user_id if chat_id is None else chat_id
            chat: JSON = {"id": chat_id, "type": "private", "first_name": first_name}
            if username:
                chat["username"] = username
            self._chats[chat_id] = chat
        else:
            if chat_id is None:
                raise ValueError(f"user_message(chat_type={chat_type!r}) needs a chat_id")
            chat = self._group_chat(chat_id, chat_type, message_thread_id)
        return self._push_message(
            user,
            chat,
            text,
            message_id=message_id,
            date=date,
            entities=entities,
            message_thread_id=message_thread_id,
        )

    def anonymous_admin_message(
        self,
        chat_id: int,
        text: str,
        *,
        chat_type: str = "supergroup",
        message_thread_id: int | None = None,
    ) -> JSON:
        """Push a message an anonymous administrator sent: ``from`` is GroupAnonymousBot and
        ``sender_chat`` the group itself, as Telegram does."""
        chat = self._group_chat(chat_id, chat_type, message_thread_id)
        return self._push_message(
            dict(ANONYMOUS_ADMIN),
            chat,
            text,
            sender_chat=dict(chat),
            message_thread_id=message_thread_id,
        )

    def channel_message(
        self,
        chat_id: int,
        text: str,
        *,
        channel_id: int = -1001999000111,
        channel_title: str = "Test channel",
    ) -> JSON:
        """Push a message sent in group ``chat_id`` on behalf of a channel: ``from`` is
        Channel_Bot and ``sender_chat`` the channel, as Telegram does."""
        known = self._chats.get(chat_id)
        chat_type = str(known["type"]) if known else str(self._chat(chat_id)["type"])
        chat = self._group_chat(chat_id, chat_type, None)
        channel = {"id": channel_id, "type": "channel", "title": channel_title}
        return self._push_message(dict(CHANNEL_BOT), chat, text, sender_chat=channel)

    def _group_chat(self, chat_id: int, chat_type: str, message_thread_id: int | None) -> JSON:
        """Register and return the group chat a pushed message is in (kept if already known)."""
        if chat_type == "private":
            raise ValueError("a group message needs a chat_type other than 'private'")
        known = self._chats.get(chat_id)
        if known is not None and known["type"] == chat_type:
            chat = dict(known)
        else:
            chat = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}
        if message_thread_id is not None:
            if chat_type != "supergroup":
                raise ValueError("forum topics need chat_type='supergroup'")
            chat["is_forum"] = True
            topics = self._topics.setdefault(chat_id, {})
            topics.setdefault(message_thread_id, f"Topic {message_thread_id}")
            self._message_ids[chat_id] = max(self._message_ids[chat_id], message_thread_id)
        self._chats[chat_id] = chat
        return chat

    def _push_message(
        self,
        sender: JSON,
        chat: JSON,
        text: str,
        *,
        sender_chat: JSON | None = None,
        message_id: int | None = None,
        date: int | None = None,
        entities: list[JSON] | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        chat_id = int(chat["id"])
        if message_id is None:
            message_id = self._next_message_id(chat_id)
        else:
            self._message_ids[chat_id] = max(self._message_ids[chat_id], message_id)
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": dict(chat),
            "date": int(time.time()) if date is None else date,
            "text": text,
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        ents = _command_entities(text) if entities is None else entities
        if ents:
            message["entities"] = ents
        self._messages[(chat_id, message_id)] = copy.deepcopy(message)
        return self.push_update({"message": message})

    def edited_message(self, original: JSON, new_text: str) -> JSON:
        """Push an ``edited_message`` update for ``original`` (an update or message dict)."""
        source = original
        for key in ("message", "edited_message"):
            if key in original:
                source = original[key]
                break
        message = copy.deepcopy(source)
        message["text"] = new_text
        message["edit_date"] = max(int(time.time()), int(message.get("date", 0)) + 1)
        ents = _command_entities(new_text)
        if ents:
            message["entities"] = ents
        else:
            message.pop("entities", None)
        chat_id = int(message["chat"]["id"])
        self._messages[(chat_id, int(message["message_id"]))] = copy.deepcopy(message)
        return self.push_update({"edited_message": message})

    def callback_query(
        self,
        user_id: int,
        data: str,
        *,
        message: Any,
        first_name: str = "Test",
        username: str | None = None,
    ) -> JSON:
        """Push a ``callback_query`` for an inline button on ``message`` (dict or Message)."""
        if hasattr(message, "to_dict"):
            message = message.to_dict()
        chat_id = message.get("chat", {}).get("id", user_id)
        query = {
            "id": str(next(self._counter) + 10**15),
            "from": self._user(user_id, first_name, username),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash((self.bot_id, chat_id))) % 10**18),
            "data": data,
        }
        self._callbacks[query["id"]] = time.monotonic()
        return self.push_update({"callback_query": query})

    def expire_callbacks(self) -> None:
        """Make every unanswered callback query too old to answer (no waiting needed)."""
        for query_id in self._callbacks:
            self._callbacks[query_id] = float("-inf")

    def delete_user_message(self, chat_id: int, message_id: int) -> None:
        """Delete a message (a user deleted it): replies to it and edits of it now fail."""
        self._messages.pop((chat_id, message_id), None)
        self._deleted.add((chat_id, message_id))

    # ------------------------------------------------------------------ chat changes

    def upgrade_to_supergroup(
        self, chat_id: int, *, user_id: int = 1, first_name: str = "Test"
    ) -> int:
        """Migrate group ``chat_id`` to a new supergroup; returns the supergroup's id.

        Pushes, as Telegram does, a message in the old group with ``migrate_to_chat_id`` and
        one in the supergroup (same title) with ``migrate_from_chat_id``.  From then on every
        send, edit or delete in the old group fails with 400 "group chat was upgraded to a
        supergroup chat" and ``parameters.migrate_to_chat_id`` (PTB: ``ChatMigrated``).
        """
        old = self._chat(chat_id)
        if old["type"] != "group" or chat_id in self._migrated:
            raise ValueError(f"chat {chat_id} is not a (not yet upgraded) basic group")
        new_id = -(10**12) - abs(chat_id)
        while new_id in self._chats or new_id in self._message_ids:
            new_id -= 1
        new = {"id": new_id, "type": "supergroup", "title": old.get("title", "Test group")}
        self._chats[chat_id] = dict(old)
        self._chats[new_id] = new
        self._migrated[chat_id] = new_id
        if chat_id in self._bot_status:
            self._bot_status[new_id] = self._bot_status[chat_id]
        user = self._user(user_id, first_name, None)
        for chat, field_name, value in (
            (old, "migrate_to_chat_id", new_id),
            (new, "migrate_from_chat_id", chat_id),
        ):
            cid = int(chat["id"])
            message: JSON = {
                "message_id": self._next_message_id(cid),
                "from": user,
                "chat": dict(chat),
                "date": int(time.time()),
                field_name: value,
            }
            self._messages[(cid, message["message_id"])] = copy.deepcopy(message)
            self.push_update({"message": message})
        return new_id

    def remove_bot(self, chat_id: int, *, user_id: int = 1, status: str = "kicked") -> JSON:
        """User ``user_id`` removes the bot from group ``chat_id`` (``status`` "kicked"/"left").

        Pushes the ``my_chat_member`` update and returns it; sends to the chat then fail with
        Telegram's 403 ("bot was kicked from the group chat", "bot is not a member of the
        supergroup chat", ...) until :meth:`add_bot`.
        """
        if status not in ("kicked", "left"):
            raise ValueError(f"remove_bot(status={status!r}): use 'kicked' or 'left'")
        chat = self._chat(chat_id)
        if chat["type"] == "private":
            raise ValueError("a private chat is left by blocking: use block_bot()")
        return self._change_bot_status(chat, user_id, status)

    def block_bot(self, user_id: int) -> JSON:
        """User ``user_id`` blocks the bot: a private ``my_chat_member`` (-> kicked), and
        sends to the user then fail with 403 "bot was blocked by the user"."""
        chat = self._chats.get(user_id) or {"id": user_id, "type": "private", "first_name": "Test"}
        return self._change_bot_status(chat, user_id, "kicked")

    def add_bot(
        self,
        chat_id: int,
        *,
        user_id: int = 1,
        chat_type: str = "group",
        title: str = "Test group",
        status: str = "member",
        is_forum: bool = False,
    ) -> JSON:
        """User ``user_id`` adds the bot to ``chat_id`` (status "member" or "administrator").

        Registers the chat, pushes ``my_chat_member`` (left -> ``status``; for a private chat
        that had blocked the bot: kicked -> ``status``) and returns it; sends work again.
        """
        if status not in ("member", "administrator"):
            raise ValueError(f"add_bot(status={status!r}): use 'member' or 'administrator'")
        if is_forum and chat_type != "supergroup":
            raise ValueError("only a supergroup can be a forum")
        chat: JSON
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": "Test"}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title}
        if is_forum:
            chat["is_forum"] = True
            self._topics.setdefault(chat_id, {})
        self._chats[chat_id] = chat
        old = "kicked" if chat_type == "private" and chat_id in self._removed else "left"
        self._bot_status[chat_id] = old
        return self._change_bot_status(chat, user_id, status)

    def _change_bot_status(self, chat: JSON, user_id: int, status: str) -> JSON:
        cid = int(chat["id"])
        old = self._bot_status.get(cid, "member")
        self._bot_status[cid] = status
        if status in ("kicked", "left"):
            self._removed[cid] = _removal_description(chat, status)
        else:
            self._removed.pop(cid, None)
        update = {
            "my_chat_member": {
                "chat": dict(chat),
                "from": self._user(user_id, "Test", None),
                "date": int(time.time()),
                "old_chat_member": self._bot_member(old),
                "new_chat_member": self._bot_member(status),
            }
        }
        return self.push_update(update)

    def _bot_member(self, status: str) -> JSON:
        member: JSON = {"user": self.bot_user, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
            member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        return member

    def create_topic(self, chat_id: int, name: str) -> int:
        """Create forum topic ``name`` in ``chat_id`` and return its ``message_thread_id``.

        The chat becomes a supergroup with ``is_forum`` (if it was not).  As in Telegram, the
        thread id is the id of the topic's service message.
        """
        chat = dict(self._chat(chat_id))
        if chat["type"] in ("private", "channel"):
            raise ValueError(f"a {chat['type']} chat has no forum topics")
        chat.update(type="supergroup", is_forum=True)
        self._chats[chat_id] = chat
        thread_id = self._next_message_id(chat_id)
        self._topics.setdefault(chat_id, {})[thread_id] = name
        self._messages[(chat_id, thread_id)] = {
            "message_id": thread_id,
            "from": self.bot_user,
            "chat": dict(chat),
            "date": int(time.time()),
            "message_thread_id": thread_id,
            "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": 7322096},
        }
        return thread_id

    # ------------------------------------------------------------------ HTTP plumbing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return await self._serve_file(request, path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return self._error_response(404)
        token, _, method = path[len("/bot") :].partition("/")
        raw, files, filenames = await self._parse_params(request)
        record = Recorded(
            method=self._canonical.get(method.lower(), method),
            params={k: _decode_value(k, v) for k, v in raw.items()},
            files=files,
            at=time.monotonic(),
            raw_params=raw,
            filenames=filenames,
        )
        self.requests.append(record)
        self._recorded.notify_all()

        if token != self.token:
            record.fault = "unauthorized"
            return self._finish(record, 401)
        fault = self._take_fault(record.method)
        if fault is not None:
            record.fault = fault.label
            if fault.kind == "drop":
                if request.transport is not None:
                    request.transport.close()
                return web.Response()  # never written: the connection is gone
            if fault.kind == "fail":
                return self._finish(record, fault.status, fault.description, fault.retry_after)
            await self._interruptible_sleep(fault.delay)
        handler = self._custom.get(record.method.lower()) or self._methods.get(
            record.method.lower()
        )
        if handler is None:
            return self._finish(record, 404, "Not Found: method not found")
        try:
            result = handler(record)
            if inspect.isawaitable(result):
                result = await result
        except _ApiError as exc:
            return self._finish(record, exc.status, exc.description, parameters=exc.parameters)
        record.status = 200
        record.response = {"ok": True, "result": result}
        return web.json_response(record.response)

    def _finish(
        self,
        record: Recorded,
        status: int,
        description: str | None = None,
        retry_after: int = 0,
        *,
        parameters: JSON | None = None,
    ) -> web.Response:
        if status == 429:
            description = description or f"Too Many Requests: retry after {retry_after}"
        body: JSON = {
            "ok": False,
            "error_code": status,
            "description": _ApiError(status, description).description,
        }
        if status == 429:
            body["parameters"] = {"retry_after": retry_after}
        elif parameters:
            body["parameters"] = parameters
        record.status = status
        record.response = body
        return web.json_response(body, status=status)

    def _error_response(self, status: int) -> web.Response:
        body = {"ok": False, "error_code": status, "description": _DEFAULT_DESCRIPTIONS[status]}
        return web.json_response(body, status=status)

    async def _parse_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, bytes], dict[str, str]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        filenames: dict[str, str] = {}
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                data = await part.read(decode=True)
                if part.filename is not None:
                    files[part.name] = bytes(data)
                    filenames[part.name] = part.filename
                else:
                    params[part.name] = data.decode(part.get_charset(default="utf-8"))
        elif ctype == "application/x-www-form-urlencoded":
            params.update((k, v) for k, v in (await request.post()).items() if isinstance(v, str))
        elif request.can_read_body:
            body = await request.read()
            if body.strip():
                try:
                    loaded = json.loads(body)
                except ValueError:
                    loaded = None
                if isinstance(loaded, dict):
                    params.update(loaded)
        return params, files, filenames

    async def _interruptible_sleep(self, delay: float) -> None:
        try:
            async with asyncio.timeout(delay):
                await self._stop_event.wait()
        except TimeoutError:
            pass

    async def _serve_file(self, request: web.Request, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return self._error_response(401)
        for stored in self._files.values():
            if stored.path == file_path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return self._error_response(404)

    # ------------------------------------------------------------------ state helpers

    def _user(self, user_id: int, first_name: str, username: str | None) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        return user

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] += 1
        return self._message_ids[chat_id]

    def _chat(self, chat_id: Any) -> JSON:
        if chat_id is None or chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, str) and not _INT_RE.fullmatch(chat_id):
            if not chat_id.startswith("@"):
                raise _ApiError(400, "Bad Request: chat not found")
            name = chat_id[1:]
            if name not in self._usernames:
                self._usernames[name] = -1001000000000 - len(self._usernames)
            cid = self._usernames[name]
            return self._chats.setdefault(
                cid, {"id": cid, "type": "channel", "title": name, "username": name}
            )
        cid = int(chat_id)
        if cid in self._chats:
            return self._chats[cid]
        if cid > 0:
            return {"id": cid, "type": "private", "first_name": "Test"}
        if cid <= -1000000000000:
            return {"id": cid, "type": "supergroup", "title": "Test supergroup"}
        return {"id": cid, "type": "group", "title": "Test group"}

    def _target_chat(self, chat_id: Any) -> JSON:
        """The chat a send/edit/delete goes to; refuses migrated groups and removed bots."""
        chat = self._chat(chat_id)
        cid = int(chat["id"])
        if (new_id := self._migrated.get(cid)) is not None:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        if (refusal := self._removed.get(cid)) is not None:
            raise _ApiError(403, refusal)
        return chat

    def _thread_id(self, chat: JSON, params: dict[str, Any]) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None:
            return None  # in a forum: the General topic, which has no thread id in messages
        thread_id = _as_int(thread, 0)
        if thread_id not in self._topics.get(int(chat["id"]), {}):
            raise _ApiError(400, "Bad Request: message thread not found")
        return thread_id

    def _reply_target(self, cid: int, params: dict[str, Any]) -> JSON | None:
        """The message replied to (if the fake knows it); refuses replies to deleted ones."""
        reply_to = params.get("reply_to_message_id")
        allow = params.get("allow_sending_without_reply") is True
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id")
            allow = allow or reply_parameters.get("allow_sending_without_reply") is True
        if reply_to is None:
            return None
        key = (cid, _as_int(reply_to, 0))
        if key in self._deleted and not allow:
            raise _ApiError(400, "Bad Request: message to be replied not found")
        return self._messages.get(key)

    def _new_message(self, params: dict[str, Any], content: JSON) -> JSON:
        chat = self._target_chat(params.get("chat_id"))
        cid = int(chat["id"])
        thread_id = self._thread_id(chat, params)
        original = self._reply_target(cid, params)
        message: JSON = {
            "message_id": self._next_message_id(cid),
            "from": self.bot_user,
            "chat": dict(chat),
            "date": int(time.time()),
            **content,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if original is not None:
            message["reply_to_message"] = {
                k: v for k, v in original.items() if k != "reply_to_message"
            }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        self._messages[(cid, message["message_id"])] = copy.deepcopy(message)
        return message

    def _store_file(self, data: bytes, suffix: str) -> tuple[str, _StoredFile]:
        n = next(self._counter)
        file_id = f"FAKE-{suffix.upper()}-{n:06d}"
        stored = _StoredFile(data, f"U{n:06d}", f"{suffix}s/file_{n}.bin")
        self._files[file_id] = stored
        return file_id, stored

    def _input_file(self, record: Recorded, key: str, value: Any = None) -> tuple[bytes, str]:
        """Return (bytes, filename) for an uploaded file or a file_id/URL reference."""
        value = record.params.get(key) if value is None else value
        if isinstance(value, str) and value.startswith("attach://"):
            key, value = value[len("attach://") :], None
        if value is None and key in record.files:
            return record.files[key], record.filenames.get(key, key)
        if isinstance(value, str) and value in self._files:
            return self._files[value].data, value
        if isinstance(value, str) and value:
            return b"", value.rsplit("/", 1)[-1]
        raise _ApiError(400, f"Bad Request: there is no {key} in the request")

    def _photo_sizes(self, data: bytes, ref: str) -> list[JSON]:
        if ref in self._files:
            file_id, stored = ref, self._files[ref]
        else:
            file_id, stored = self._store_file(data, "photo")
        size = len(stored.data)
        thumb_id = f"{file_id}-S"
        self._files.setdefault(
            thumb_id, _StoredFile(stored.data, f"{stored.unique_id}S", f"{stored.path}.thumb")
        )
        return [
            {
                "file_id": thumb_id,
                "file_unique_id": f"{stored.unique_id}S",
                "file_size": size,
                "width": 90,
                "height": 90,
            },
            {
                "file_id": file_id,
                "file_unique_id": stored.unique_id,
                "file_size": size,
                "width": 800,
                "height": 600,
            },
        ]

    def _document(self, data: bytes, ref: str, kind: str = "document") -> JSON:
        if ref in self._files:
            file_id, stored = ref, self._files[ref]
        else:
            file_id, stored = self._store_file(data, kind)
        return {
            "file_id": file_id,
            "file_unique_id": stored.unique_id,
            "file_name": ref,
            "mime_type": "application/octet-stream",
            "file_size": len(stored.data),
        }

    def _caption(self, params: dict[str, Any]) -> JSON:
        caption = params.get("caption")
        _check_caption(caption)
        return {"caption": caption} if caption else {}

    # ------------------------------------------------------------------ API methods

    def _get_me(self, _record: Recorded) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, record: Recorded) -> list[JSON]:
        params = record.params
        offset = _as_int(params.get("offset"), 0)
        limit = min(max(_as_int(params.get("limit"), 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_changed.notify_all()  # a newer getUpdates terminates older ones
        if offset > 0:
            self._pending = [p for p in self._pending if p.update_id >= offset or p.protected]
        elif offset < 0:
            self._pending = self._pending[offset:]
        if not self._pending and timeout > 0 and not self._stopping:
            await self._updates_changed.wait_until(
                lambda: (
                    bool(self._pending) or self._stopping or generation != self._poll_generation
                ),
                timeout,
            )
        if generation != self._poll_generation:
            raise _ApiError(409)
        batch = self._pending[:limit]
        for pending in batch:
            pending.protected = False
        return [copy.deepcopy(p.update) for p in batch]

    def _delete_webhook(self, record: Recorded) -> bool:
        if record.params.get("drop_pending_updates") is True:
            self._pending.clear()
        return True

    def _get_webhook_info(self, _record: Recorded) -> JSON:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, record: Recorded) -> bool:
        commands = record.params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: commands must be an array")
        self._commands[self._commands_key(record.params)] = commands
        return True

    def _delete_my_commands(self, record: Recorded) -> bool:
        self._commands.pop(self._commands_key(record.params), None)
        return True

    def _get_my_commands(self, record: Recorded) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(record.params), []))

    def _send_message(self, record: Recorded) -> JSON:
        content: JSON = {"text": _check_text(record.params.get("text"))}
        if isinstance(entities := record.params.get("entities"), list):
            content["entities"] = entities
        return self._new_message(record.params, content)

    def _send_photo(self, record: Recorded) -> JSON:
        data, ref = self._input_file(record, "photo")
        content = {"photo": self._photo_sizes(data, ref), **self._caption(record.params)}
        return self._new_message(record.params, content)

    def _send_document(self, record: Recorded) -> JSON:
        data, ref = self._input_file(record, "document")
        content = {"document": self._document(data, ref), **self._caption(record.params)}
        return self._new_message(record.params, content)

    def _send_media_group(self, record: Recorded) -> list[JSON]:
        media = record.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _ApiError(400, "Bad Request: media must include 2-10 items")
        for item in media:
            _check_caption(item.get("caption") if isinstance(item, dict) else None)
        group_id = str(10**17 + next(self._counter))
        messages = []
        for item in media:
            data, ref = self._input_file(record, "media", item.get("media"))
            kind = item.get("type", "photo")
            content: JSON = {"media_group_id": group_id, **self._caption(item)}
            if kind == "photo":
                content["photo"] = self._photo_sizes(data, ref)
            elif kind == "video":
                content["video"] = {
                    **self._document(data, ref, "video"),
                    "width": 640,
                    "height": 360,
                    "duration": 1,
                }
            elif kind == "audio":
                content["audio"] = {**self._document(data, ref, "audio"), "duration": 1}
            else:
                content["document"] = self._document(data, ref)
            messages.append(self._new_message(record.params, content))
        return messages

    def _editable(self, params: dict[str, Any]) -> tuple[tuple[int, int], JSON] | None:
        if params.get("inline_message_id"):
            return None
        chat = self._target_chat(params.get("chat_id"))
        key = (int(chat["id"]), _as_int(params.get("message_id"), 0))
        if key[1] <= 0:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        if key in self._deleted:
            raise _ApiError(400, "Bad Request: message to edit not found")
        message = self._messages.get(key)
        if message is None:  # lenient: edit messages the fake never saw
            message = {
                "message_id": key[1],
                "from": self.bot_user,
                "chat": dict(chat),
                "date": int(time.time()),
            }
        elif message.get("from", {}).get("id") != self.bot_id:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return key, copy.deepcopy(message)

    def _save_edit(self, key: tuple[int, int], old: JSON, new: JSON) -> JSON:
        if {k: v for k, v in old.items() if k != "edit_date"} == {
            k: v for k, v in new.items() if k != "edit_date"
        }:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        new["edit_date"] = int(time.time())
        self._messages[key] = copy.deepcopy(new)
        return new

    def _with_markup(self, message: JSON, params: dict[str, Any]) -> JSON:
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _edit_message_text(self, record: Recorded) -> JSON | bool:
        text = _check_text(record.params.get("text"))
        found = self._editable(record.params)
        if found is None:
            return True
        key, old = found
        new = self._with_markup(copy.deepcopy(old), record.params)
        new["text"] = str(text)
        new.pop("entities", None)
        if isinstance(entities := record.params.get("entities"), list):
            new["entities"] = entities
        return self._save_edit(key, old, new)

    def _edit_message_caption(self, record: Recorded) -> JSON | bool:
        caption = record.params.get("caption")
        _check_caption(caption)
        found = self._editable(record.params)
        if found is None:
            return True
        key, old = found
        new = self._with_markup(copy.deepcopy(old), record.params)
        new.pop("caption_entities", None)
        if caption:
            new["caption"] = str(caption)
        else:
            new.pop("caption", None)
        if isinstance(entities := record.params.get("caption_entities"), list):
            new["caption_entities"] = entities
        return self._save_edit(key, old, new)

    def _delete_message(self, record: Recorded) -> bool:
        chat = self._target_chat(record.params.get("chat_id"))
        key = (int(chat["id"]), _as_int(record.params.get("message_id"), 0))
        if self._messages.pop(key, None) is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        self._deleted.add(key)
        return True

    def _answer_callback_query(self, record: Recorded) -> bool:
        query_id = str(record.params.get("callback_query_id", ""))
        pushed = self._callbacks.get(query_id)
        if pushed is None or time.monotonic() - pushed > self.callback_answer_window:
            raise _ApiError(400, _QUERY_TOO_OLD)
        del self._callbacks[query_id]  # a query is answered once
        return True

    def _send_chat_action(self, record: Recorded) -> bool:
        self._target_chat(record.params.get("chat_id"))
        return True

    def _edit_message_reply_markup(self, record: Recorded) -> JSON | bool:
        found = self._editable(record.params)
        if found is None:
            return True
        key, old = found
        return self._save_edit(key, old, self._with_markup(copy.deepcopy(old), record.params))

    def _get_chat(self, record: Recorded) -> JSON:
        return {
            **self._chat(record.params.get("chat_id")),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_file(self, record: Recorded) -> JSON:
        file_id = str(record.params.get("file_id", ""))
        stored = self._files.get(file_id)
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }
