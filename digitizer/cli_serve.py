"""``digitizer serve``: the office's web workspace on this workstation.

It listens on 127.0.0.1 (this machine only) unless ``--host`` says otherwise; the province
set-up puts it behind the office's reverse proxy, which adds TLS. The key that signs the
session cookies is made on first start in the home's ``keys/`` (mode 0600) and kept, so
that clerks stay signed in across a restart.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from digitizer.config import Layout


def session_secret(layout: Layout) -> str:
    """The cookie-signing key of this home, made once."""
    path: Path = layout.keys / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8750,
) -> None:
    """The web workspace: sign-in, review queue. Example: digitizer serve --port 8750"""
    import uvicorn

    from digitizer.web.app import WebSettings, create_app

    state = ctx.obj
    state.layout.prepare()
    app = create_app(WebSettings(state.store_url, session_secret(state.layout), state.layout))
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


def register(app: typer.Typer) -> None:
    """Add this module's command to the main app (called once by :mod:`digitizer.cli`)."""
    app.command("serve")(serve)
