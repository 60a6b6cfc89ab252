"""The ``organiser-bot`` command line: run, db upgrade, demo, seed, digest."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from organiser_bot.settings import Settings

log = logging.getLogger("organiser_bot")

ENV_NAMES = {
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_api_base_url": "TELEGRAM_API_BASE_URL",
    "database_url": "DATABASE_URL",
    "timezone": "TIMEZONE",
    "admin_telegram_ids": "ADMIN_TELEGRAM_IDS",
    "digest_schedule": "DIGEST_SCHEDULE",
    "nudge_schedule": "NUDGE_SCHEDULE",
    "log_level": "LOG_LEVEL",
}


class ConfigError(Exception):
    """A configuration problem, reported as one line and exit status 2."""


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``.env``; problems become one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            reason = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{ENV_NAMES.get(field, field.upper())}: {reason}")
        raise ConfigError("; ".join(problems)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="organiser-bot",
        description="Log field work in seconds; the same weekly digest for every team.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the bot (long polling)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply pending migrations")
    db_sub.add_parser("status", help="show the current and newest schema revision")
    demo = sub.add_parser("demo", help="build a sample organisation offline and render digests")
    demo.add_argument("--db", default="organiser_bot_demo.db", help="SQLite file to (re)create")
    demo.add_argument("--out", default="demo-output", help="folder for the digest files")
    seed = sub.add_parser("seed", help="fill the configured database with synthetic data")
    seed.add_argument("--teams", type=int, default=10)
    seed.add_argument("--members", type=int, default=25, help="members per team")
    seed.add_argument("--weeks", type=int, default=13)
    seed.add_argument("--seed", type=int, default=1, help="random seed")
    digest = sub.add_parser("digest", help="render (or send) a week's digests")
    digest.add_argument("--week", help="ISO week such as 2026-W47 (default: last week)")
    digest.add_argument("--dry-run", action="store_true", help="render only; send nothing")
    digest.add_argument("--out", default="digest-output", help="folder for the rendered files")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"organiser-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from organiser_bot.logs import configure_logging

    if args.command == "demo":
        from organiser_bot.tools.demo import run_demo

        configure_logging("WARNING", secrets=[])
        return run_demo(db_path=args.db, out_dir=args.out)
    settings = load_settings()
    token = settings.telegram_bot_token
    configure_logging(settings.log_level, secrets=[token.get_secret_value()] if token else [])
    if args.command == "run":
        if token is None or not token.get_secret_value().strip():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token "
                "in the environment or .env"
            )
        from organiser_bot.app import build_application

        app = build_application(settings)
        log.info("Starting long polling; database %s", _safe_url(settings.database_url))
        # my_chat_member: the bot added to, removed from or silenced in a group.
        app.run_polling(
            allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"]
        )
        return 0
    from storage.engine import make_engine

    engine = make_engine(settings.database_url)
    try:
        if args.command == "db":
            from storage import migrate

            if args.db_command == "upgrade":
                migrate.upgrade(engine)
            current, head = migrate.pending(engine)
            print(f"schema revision {current or 'none'} (newest {head})")
            return 0
        if args.command == "seed":
            from organiser_bot.tools.seed import seed
            from storage import migrate

            migrate.upgrade(engine)
            summary = seed(
                engine,
                teams=args.teams,
                members=args.members,
                weeks=args.weeks,
                tz=settings.tz,
                random_seed=args.seed,
            )
            print(summary)
            return 0
        if args.command == "digest":
            from organiser_bot.tools.digest_cli import run_digest_command

            return run_digest_command(
                engine, settings, week=args.week, dry_run=args.dry_run, out_dir=args.out
            )
    finally:
        engine.dispose()
    return 2


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
