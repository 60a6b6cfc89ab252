"""The rules of the house as plain values and functions: no database, no Telegram, no charts."""
