"""An in-process Bot API for handler tests and benchmarks: answers like Telegram, never the network.

:class:`OfflineRequest` is a :class:`telegram.request.BaseRequest`. Give it to the bot
(``build_application(settings, request=OfflineRequest())``) and every Bot API call is answered
from memory and recorded as a :class:`Call`: the method, its parameters as Telegram decodes
them (``chat_id`` an ``int``, ``reply_markup`` a ``dict``), uploaded files as ``bytes`` and the
JSON answered. Feed the bot updates built by :class:`Updates` through
``await app.process_update(Update.de_json(data, app.bot))``: when that returns, every call the
update caused has been recorded, so tests read :attr:`OfflineRequest.calls` without waiting.

Example::

    request = OfflineRequest()
    app = build_application(settings, request=request, schedule_jobs=False)
    updates = Updates(chats=request.chats)
    async with app:
        await app.process_update(Update.de_json(updates.private(42, "/help"), app.bot))
    [reply] = request.calls_to("sendMessage")

Refusals
    What Telegram refuses and a handler can ask for is refused the same way (HTTP 400 with
    Telegram's JSON body, so PTB raises ``BadRequest``): an empty or whitespace-only text, a text
    over 4,096 characters, a caption over 1,024, a callback answer over 200, callback data over
    64 bytes, an edit that changes nothing or of a message the bot never sent, a media group
    of fewer than 2 or more than 10 items, an invalid command in a menu. Lengths are counted in
    code points (Python's ``len``), after trimming surrounding whitespace as Telegram does.

Anything else fails the test
    A method this class does not answer, or anything that would need the network (``getUpdates``,
    a file download), fails the test through :func:`pytest.fail`. Its exception is not an
    ``Exception``, so PTB's error handling cannot turn it into an apology reply; it is also kept
    in :attr:`OfflineRequest.unexpected` for a fixture to check at teardown.

The loopback server in ``tests/fakebot.py`` stays for what this class does not model: polling,
injected faults (429, 5xx, dropped connections) and Telegram's rate limits.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram.request import BaseRequest, RequestData

__all__ = ["BOT_USER", "Call", "Chats", "OfflineRequest", "Updates"]

JSON = dict[str, Any]

#: The bot's ``User`` object, as ``getMe`` answers it.
BOT_USER: JSON = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Organiser Test Bot",
    "username": "organiser_test_bot",
}

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA_BYTES = 64

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_MENU_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class Refused(Exception):
    """What Telegram answers with ``ok: false``: an HTTP status and its description."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class Call:
    """One Bot API call the bot made.

    Attributes:
        method: The Bot API method, as Telegram spells it (``"sendMessage"``).
        params: Its parameters, JSON-decoded (``chat_id`` an ``int``, ``reply_markup`` a dict).
        files: Uploaded files by multipart part name (``"document"``, or the ``attach://``
            name a media group item refers to).
        status: The HTTP status answered: 200, or Telegram's error status for a refusal.
        response: The JSON body answered: ``{"ok": True, "result": ...}`` or Telegram's error.
    """

    method: str
    params: JSON
    files: dict[str, bytes] = field(default_factory=dict)
    status: int = 200
    response: JSON = field(default_factory=dict)

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (a message dict for ``sendMessage``)."""
        return self.response["result"]


class Chats:
    """Chats seen so far and their message ids.

    In Telegram a chat's message ids are shared by the users' and the bot's messages; sharing
    one ``Chats`` between :class:`Updates` and :class:`OfflineRequest` keeps it so.
    """

    def __init__(self) -> None:
        self._chats: dict[int, JSON] = {}
        self._last_id: defaultdict[int, int] = defaultdict(int)

    def remember(self, chat: JSON) -> None:
        """Record ``chat`` (a Telegram ``Chat`` dict) so the bot's messages carry it."""
        self._chats[int(chat["id"])] = dict(chat)

    def get(self, chat_id: int) -> JSON:
        """The ``Chat`` dict for ``chat_id``: as remembered, else guessed from the id's sign."""
        if chat_id in self._chats:
            return dict(self._chats[chat_id])
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        if chat_id <= -1_000_000_000_000:
            return {"id": chat_id, "type": "supergroup", "title": "Test supergroup"}
        return {"id": chat_id, "type": "group", "title": "Test group"}

    def next_message_id(self, chat_id: int) -> int:
        """The next message id in ``chat_id`` (1, 2, ...)."""
        self._last_id[chat_id] += 1
        return self._last_id[chat_id]


class OfflineRequest(BaseRequest):
    """Answers the Bot API from memory and records every call; see the module docstring.

    Args:
        chats: Chat state to share with an :class:`Updates` factory; a new one if omitted.
        now: Where the ``date`` of the bot's messages comes from (default: the real clock).
    """

    def __init__(
        self, *, chats: Chats | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        self.chats = chats or Chats()
        self.calls: list[Call] = []
        #: Descriptions of calls this class refused to fake (each also failed the test).
        self.unexpected: list[str] = []
        self._now = now or (lambda: datetime.now(UTC))
        self._messages: dict[tuple[int, int], JSON] = {}
        self._commands: dict[str, list[JSON]] = {}
        self._file_ids = itertools.count(1)
        self._methods: dict[str, Callable[[JSON, dict[str, bytes]], Any]] = {
            "getMe": self._get_me,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendMediaGroup": self._send_media_group,
            "deleteMessage": lambda _params, _files: True,
            "sendChatAction": lambda _params, _files: True,
        }

    def refuse(
        self, method: str, why: str, when: Callable[[JSON], bool] = lambda _params: True
    ) -> Callable[[], None]:
        """Answer the calls to ``method`` for which ``when(params)`` with HTTP 400 ``why``, as
        Telegram refuses them; returns a function that answers them normally again."""
        answer = self._methods[method]

        def refusing(params: JSON, files: dict[str, bytes]) -> Any:
            if when(params):
                raise Refused(why)
            return answer(params, files)

        self._methods[method] = refusing

        def restore() -> None:
            self._methods[method] = answer

        return restore

    # ------------------------------------------------------------------ reading the record

    def calls_to(self, method: str, since: int = 0) -> list[Call]:
        """The calls to ``method`` (refused ones included), from index ``since`` on."""
        return [c for c in self.calls[since:] if c.method == method]

    # ------------------------------------------------------------------ BaseRequest

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        answer = self._methods.get(name)
        if method != "POST" or answer is None:
            what = f"{method} {url.split('/bot', 1)[-1].split('/', 1)[-1]}"
            self.unexpected.append(what)
            pytest.fail(f"OfflineRequest does not answer {what}: it never uses the network")
        params: JSON = {}
        files: dict[str, bytes] = {}
        if request_data is not None:
            params = request_data.parameters  # JSON-shaped already: what Telegram decodes
            files = {part: _content(value) for part, value in request_data.multipart_data.items()}
        call = Call(name, params, files)
        self.calls.append(call)
        try:
            call.response = {"ok": True, "result": answer(params, files)}
        except Refused as refusal:
            call.status = refusal.status
            call.response = {
                "ok": False,
                "error_code": refusal.status,
                "description": refusal.description,
            }
        return call.status, json.dumps(call.response).encode()

    # ------------------------------------------------------------------ messages

    def _new_message(self, params: JSON, content: JSON) -> JSON:
        chat = self.chats.get(int(params["chat_id"]))
        message: JSON = {
            "message_id": self.chats.next_message_id(int(chat["id"])),
            "from": dict(BOT_USER),
            "chat": chat,
            "date": int(self._now().timestamp()),
            **content,
        }
        _check_markup(params)
        markup = params.get("reply_markup")
        # Telegram echoes an inline keyboard in the sent message, never a reply keyboard.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[(int(chat["id"]), message["message_id"])] = message
        return message

    def _send_message(self, params: JSON, _files: dict[str, bytes]) -> JSON:
        return self._new_message(params, {"text": _checked_text(params.get("text"))})

    def _edited(self, params: JSON, change: Callable[[JSON], None]) -> JSON:
        if "inline_message_id" in params:
            raise Refused("Bad Request: inline messages are not used by this bot")
        key = (int(params["chat_id"]), int(params["message_id"]))
        old = self._messages.get(key)
        if old is None:
            raise Refused("Bad Request: message to edit not found")
        _check_markup(params)
        new = dict(old)  # a shallow copy: edits replace values, never change them in place
        change(new)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            new["reply_markup"] = markup
        else:
            new.pop("reply_markup", None)
        if new == old:
            raise Refused(_NOT_MODIFIED)
        self._messages[key] = new
        return {**new, "edit_date": int(self._now().timestamp())}

    def _edit_message_text(self, params: JSON, _files: dict[str, bytes]) -> JSON:
        text = _checked_text(params.get("text"))
        return self._edited(params, lambda message: message.update(text=text))

    def _edit_message_reply_markup(self, params: JSON, _files: dict[str, bytes]) -> JSON:
        return self._edited(params, lambda _message: None)

    def _answer_callback_query(self, params: JSON, _files: dict[str, bytes]) -> bool:
        if len(str(params.get("text", ""))) > MAX_CALLBACK_ANSWER:
            raise Refused("Bad Request: MESSAGE_TOO_LONG")
        return True

    # ------------------------------------------------------------------ files

    def _file(self, kind: str, data: bytes, name: str) -> JSON:
        n = next(self._file_ids)
        return {
            "file_id": f"OFFLINE-{kind.upper()}-{n:06d}",
            "file_unique_id": f"U{n:06d}",
            "file_name": name,
            "file_size": len(data),
        }

    @staticmethod
    def _upload(files: dict[str, bytes], key: str, value: Any) -> bytes:
        ref = str(value) if value is not None else ""
        part = ref.removeprefix("attach://") if ref.startswith("attach://") else key
        if part not in files:
            raise Refused(f"Bad Request: there is no {key} in the request")
        return files[part]

    def _photo(self, data: bytes) -> list[JSON]:
        photo = self._file("photo", data, "photo.png")
        del photo["file_name"]
        return [{**photo, "width": 90, "height": 90}, {**photo, "width": 800, "height": 600}]

    def _send_document(self, params: JSON, files: dict[str, bytes]) -> JSON:
        data = self._upload(files, "document", params.get("document"))
        document = self._file("document", data, "document")
        return self._new_message(params, {"document": document, **_caption(params)})

    def _send_photo(self, params: JSON, files: dict[str, bytes]) -> JSON:
        data = self._upload(files, "photo", params.get("photo"))
        return self._new_message(params, {"photo": self._photo(data), **_caption(params)})

    def _send_media_group(self, params: JSON, files: dict[str, bytes]) -> list[JSON]:
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise Refused("Bad Request: media must include 2-10 items")
        group_id = str(10**17 + next(self._file_ids))
        messages = []
        for item in media:
            data = self._upload(files, "media", item.get("media"))
            content: JSON = {"media_group_id": group_id, **_caption(item)}
            if item.get("type") == "photo":
                content["photo"] = self._photo(data)
            else:
                content["document"] = self._file("document", data, "document")
            messages.append(self._new_message(params, content))
        return messages

    # ------------------------------------------------------------------ the bot itself

    def _get_me(self, _params: JSON, _files: dict[str, bytes]) -> JSON:
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _scope_key(params: JSON) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, params: JSON, _files: dict[str, bytes]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise Refused("Bad Request: commands must be an array of at most 100 commands")
        for command in commands:
            if not _MENU_COMMAND.fullmatch(str(command.get("command", ""))):
                raise Refused("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise Refused("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._scope_key(params)] = commands
        return True

    def _delete_my_commands(self, params: JSON, _files: dict[str, bytes]) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _get_my_commands(self, params: JSON, _files: dict[str, bytes]) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._scope_key(params), []))


def _content(value: Any) -> bytes:
    # PTB gives a part as (filename, content, mime type); content is bytes or a file handle.
    content = value[1] if isinstance(value, tuple) else value
    if hasattr(content, "read"):
        content = content.read()
    return content if isinstance(content, bytes) else str(content).encode()


def _checked_text(text: Any) -> str:
    # Telegram trims surrounding whitespace before it measures a text.
    if text is None or not str(text).strip():
        raise Refused("Bad Request: message text is empty")
    if len(str(text).strip()) > MAX_TEXT:
        raise Refused("Bad Request: message is too long")
    return str(text)


def _caption(params: JSON) -> JSON:
    caption = params.get("caption")
    if caption is None:
        return {}
    if len(str(caption).strip()) > MAX_CAPTION:
        raise Refused("Bad Request: message caption is too long")
    return {"caption": str(caption)}


def _check_markup(params: JSON) -> None:
    markup = params.get("reply_markup")
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise Refused("Bad Request: BUTTON_DATA_INVALID")


class Updates:
    """Builds update dicts as Telegram sends them, for ``Update.de_json``.

    Update ids increase from 1; message ids increase per chat, shared with the bot's messages
    when ``chats`` is the request's (:attr:`OfflineRequest.chats`).

    Args:
        chats: Chat state shared with an :class:`OfflineRequest`; a new one if omitted.
        now: The clock a message is stamped with when sent (default: the real clock).
    """

    def __init__(
        self, *, chats: Chats | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        self.chats = chats or Chats()
        self._now = now or (lambda: datetime.now(UTC))
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        # Each message's last edit date: successive edits of a message are dated apart, as
        # Telegram's are when a person edits it again.
        self._edit_dates: dict[tuple[int, int], int] = {}
        # Each sender's name and @username as last sent: a person keeps them from one update
        # to the next, as on Telegram, unless a test gives a name again.
        self._senders: dict[int, tuple[str, str | None]] = {}

    def _sender(self, user_id: int, first_name: str | None, username: str | None) -> JSON:
        # No name given: the name (and, unless given, the username) the person last sent.
        if first_name is None:
            first_name, last_username = self._senders.get(user_id, ("Test", None))
            username = username or last_username
        self._senders[user_id] = (first_name, username)
        return self.user(user_id, first_name, username)

    def _update(self, **payload: JSON) -> JSON:
        return {"update_id": next(self._update_ids), **payload}

    @staticmethod
    def user(user_id: int, first_name: str = "Test", username: str | None = None) -> JSON:
        """A Telegram ``User`` dict for a person."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        return user

    def _message(
        self, user: JSON, chat: JSON, text: str, date: int | None, entities: list[JSON] | None
    ) -> JSON:
        self.chats.remember(chat)
        message: JSON = {
            "message_id": self.chats.next_message_id(int(chat["id"])),
            "from": user,
            "chat": chat,
            "date": int(self._now().timestamp()) if date is None else date,
            "text": text,
        }
        if entities is None and (command := _COMMAND.match(text)):
            entities = [{"type": "bot_command", "offset": 0, "length": len(command.group(0))}]
        if entities:
            message["entities"] = entities
        return message

    def private(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        date: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A text message in the person's private chat with the bot.

        Args:
            user_id: The sender's Telegram id (also the chat's id).
            text: The message text; a leading ``/command`` gets a ``bot_command`` entity.
            first_name: The sender's first name (default: as they last sent it, else "Test").
            username: The sender's @username, if any (default with no ``first_name``: as
                they last sent it).
            date: When Telegram stamped it, in Unix seconds (default: ``now``).
            entities: Entities instead of the automatic ``bot_command`` one.
        """
        user = self._sender(user_id, first_name, username)
        chat: JSON = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return self._update(message=self._message(user, chat, text, date, entities))

    def group(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        chat_type: str = "supergroup",
        first_name: str | None = None,
        username: str | None = None,
        date: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A text message from a person in a group chat (``chat_type`` "group" or "supergroup")."""
        chat: JSON = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}
        user = self._sender(user_id, first_name, username)
        return self._update(message=self._message(user, chat, text, date, entities))

    def edited(self, original: JSON, new_text: str) -> JSON:
        """An ``edited_message`` update: the message of ``original`` (an update) with new text."""
        message = copy.deepcopy(original.get("message") or original["edited_message"])
        message["text"] = new_text
        key = (int(message["chat"]["id"]), int(message["message_id"]))
        edit_date = max(
            int(self._now().timestamp()),
            int(message["date"]) + 1,
            self._edit_dates.get(key, 0) + 1,
        )
        self._edit_dates[key] = message["edit_date"] = edit_date
        message.pop("entities", None)
        if command := _COMMAND.match(new_text):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.group(0))}
            ]
        return self._update(edited_message=message)

    def callback_query(
        self, user_id: int, data: str, *, message: JSON, first_name: str | None = None
    ) -> JSON:
        """A tap on an inline button carrying ``data`` under the bot's ``message`` (a dict)."""
        chat_id = int(message["chat"]["id"])
        query: JSON = {
            "id": str(10**15 + next(self._query_ids)),
            "from": self._sender(user_id, first_name, None),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(chat_id) * 7919 % 10**18),
            "data": data,
        }
        return self._update(callback_query=query)
