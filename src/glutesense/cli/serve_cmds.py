"""``glutesense serve``: run the web app with uvicorn."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import EXIT_USAGE, app, err

__all__ = ["serve_cmd"]


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    data: Path = typer.Option(Path("glutesense-data"), "--data", help="Data folder."),
    database_url: str = typer.Option(None, "--database-url",
                                     help="SQLAlchemy URL (default: SQLite in the data folder)."),
    ssl_certfile: Path = typer.Option(None, "--ssl-certfile", help="TLS certificate (PEM)."),
    ssl_keyfile: Path = typer.Option(None, "--ssl-keyfile", help="TLS private key (PEM)."),
    max_upload_mb: float = typer.Option(50.0, "--max-upload-mb", min=0.001),
    workers: int = typer.Option(1, "--analysis-threads", min=1, help="Background analysis threads."),
) -> None:
    """Serve the web app (phones need HTTPS for motion sensors; see docs/web.md)."""
    import uvicorn

    from ..web import Settings, create_app

    if (ssl_certfile is None) != (ssl_keyfile is None):
        err.print("give both --ssl-certfile and --ssl-keyfile", markup=False)
        raise typer.Exit(EXIT_USAGE)
    settings = Settings(data_dir=data, database_url=database_url,
                        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
                        secure_cookies=ssl_certfile is not None, worker_threads=workers)
    application = create_app(settings)
    err.print(f"glutesense on http{'s' if ssl_certfile else ''}://{host}:{port}  (data: {data})",
              markup=False)
    uvicorn.run(application, host=host, port=port, log_level="warning",
                ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
                ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None)
