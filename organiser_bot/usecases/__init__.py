"""Use cases: one transaction each, ``(conn, actor, ...) -> typed outcome``."""
