"""Database: SQLAlchemy 2 models, engine set-up (SQLite WAL or PostgreSQL), Alembic migrations.

The database holds metadata and results only; raw uploads are files on disk
(original bytes kept, content-addressed by SHA-256).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from sqlalchemy import (JSON, DateTime, ForeignKey, Integer, String, Text, create_engine, event)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

__all__ = ["Base", "User", "ApiToken", "RecordingRow", "make_engine", "migrate", "utcnow",
           "STATUSES"]

#: Analysis states of an uploaded recording.
STATUSES = ("queued", "running", "done", "failed")


def utcnow() -> _dt.datetime:
    """Timezone-aware now (UTC)."""
    return _dt.datetime.now(_dt.timezone.utc)


class Base(DeclarativeBase):
    """Declarative base."""


class User(Base):
    """An account."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recordings: Mapped[list[RecordingRow]] = relationship(back_populates="user",
                                                          cascade="all, delete-orphan")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """A Bearer token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[User] = relationship(back_populates="tokens")


class RecordingRow(Base):
    """An uploaded recording, its analysis status and its report."""

    __tablename__ = "recordings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated: Mapped[_dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_path: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    answers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="upload")
    user: Mapped[User] = relationship(back_populates="recordings")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised via every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def sessions(engine: Engine) -> sessionmaker:
    """A session factory bound to *engine*."""
    return sessionmaker(engine, expire_on_commit=False)
