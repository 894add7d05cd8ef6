"""Tables of the web application: accounts, sessions, login attempts, the audit log, staged
uploads. (The data version counter is the data tables' own, in ``junheng.io.db``.)

Created by the Alembic revision ``0002_accounts``; these definitions mirror it for queries.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

# The data tables' MetaData, so Alembic's comparison of models and migrations sees these too.
from junheng.io.db import metadata

users = Table(
    "web_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False, default=""),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(32), nullable=False),
    Column("county_code", String(6), nullable=True),
    Column("school_id", String(10), nullable=True),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the token in the cookie
    Column("user_id", Integer, nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

login_attempts = Table(
    "web_login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("ip", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("succeeded", Boolean, nullable=False),
)

audit_log = Table(
    "web_audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("user_id", Integer, nullable=True),
    Column("username", String(64), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(256), nullable=True),
    Column("detail", Text, nullable=True),
)

uploads = Table(
    "web_uploads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("filename", String(256), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # invalid | valid | imported
    Column("summary", Text, nullable=True),  # JSON: problems or row counts
)
