"""The background analysis worker: queued → running → done | failed, resumed after restarts."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from .db import RecordingRow, utcnow

__all__ = ["Worker", "analyse_file"]

log = logging.getLogger("glutesense.web")


def analyse_file(path: str, answers: dict | None) -> dict:
    """Read and analyse one stored upload; returns the report (raises GlutesenseError on bad input)."""
    from ..io import read
    from ..reporting.build import build_report

    return build_report(read(path), answers)


class Worker:
    """Threads that analyse queued recordings one at a time each.

    On start, recordings left ``running`` by a crash are put back in the queue,
    so every acknowledged upload gets analysed.
    """

    def __init__(self, Session: sessionmaker, *, threads: int = 1, poll_s: float = 0.5) -> None:
        self.Session = Session
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, name=f"glutesense-worker-{i}",
                                          daemon=True) for i in range(threads)]

    def start(self) -> None:
        """Requeue interrupted work and start the threads."""
        with self.Session.begin() as s:
            n = s.execute(update(RecordingRow).where(RecordingRow.status == "running")
                          .values(status="queued", updated=utcnow())).rowcount
        if n:
            log.info("requeued %d interrupted analyses", n)
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the threads to finish and wait for them."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            if t.is_alive():
                t.join(timeout)

    def notify(self) -> None:
        """Wake the workers (a new upload arrived)."""
        self._wake.set()

    def _claim(self) -> RecordingRow | None:
        with self.Session.begin() as s:
            ids = s.execute(select(RecordingRow.id).where(RecordingRow.status == "queued")
                            .order_by(RecordingRow.created).limit(5)).scalars().all()
            for rid in ids:
                res = s.execute(update(RecordingRow)
                                .where(RecordingRow.id == rid, RecordingRow.status == "queued")
                                .values(status="running", updated=utcnow()))
                if res.rowcount == 1:
                    return s.get(RecordingRow, rid)
        return None

    def run_once(self) -> bool:
        """Analyse one queued recording if there is one; return whether one was processed."""
        from ..errors import GlutesenseError

        row = self._claim()
        if row is None:
            return False
        status, reason, report = "done", None, None
        try:
            report = analyse_file(row.storage_path, row.answers)
        except GlutesenseError as exc:
            exc.path = Path(row.filename).name  # the user's file name, never the server's path
            status, reason = "failed", exc.one_line()
        except Exception as exc:  # noqa: BLE001 - a bad recording must not stop the worker
            log.exception("analysis of recording %s failed", row.id)
            status, reason = "failed", f"internal error ({type(exc).__name__})"
        with self.Session.begin() as s:
            s.execute(update(RecordingRow).where(RecordingRow.id == row.id)
                      .values(status=status, reason=reason, report=report, updated=utcnow()))
        log.info("recording %s: %s", row.id, status)
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 - e.g. database briefly locked; retry
                log.exception("worker loop error")
                busy = False
            if not busy:
                self._wake.wait(self.poll_s)
                self._wake.clear()
