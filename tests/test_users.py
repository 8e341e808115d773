"""Accounts of the web workspace: added, listed, disabled, signed in with; audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digitizer.store import Store
from digitizer.store.accounts import AccountError, SignedIn, add, disable, sign_in
from digitizer.store.audit import entries_of, verify_chain
from digitizer.store.models import Account
from tests.cli import ROOT, run_digitizer


def _cli(home: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """``digitizer users ARGS`` as the IT person "it-admin" runs it ($USER)."""
    env = dict(os.environ, DIGITIZER_HOME=str(home), USER="it-admin")
    env.pop("DIGITIZER_DB_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "digitizer", "--config", str(ROOT), "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def test_accounts_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out, err = _cli(
        home, "add", "lan", "--role", "clerk", "--password-stdin", stdin="correct horse\n"
    )
    assert code == 0, err
    assert "added lan (clerk)" in out
    code, out, _ = _cli(home, "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [
        {
            "name": "lan",
            "role": "clerk",
            "created_by": "it-admin",
            "created_at": rows[0]["created_at"],
            "disabled": False,
            "disabled_by": None,
        }
    ]
    # refused, one line each, nothing added
    for args, stdin, problem in (
        (("add", "lan", "--password-stdin"), "another password\n", "exists already"),
        (("add", "minh", "--password-stdin"), "short\n", "at least 8"),
        (("add", "minh", "--role", "boss", "--password-stdin"), "long enough\n", "no role"),
        (("add", "Lan Anh", "--password-stdin"), "long enough\n", "not a user name"),
        (("disable", "nobody"), None, "no user named"),
    ):
        code, _, err = _cli(home, *args, stdin=stdin)
        assert code == 1, (args, err)
        assert problem in err and err.startswith("digitizer: error:"), err
    code, _, err = _cli(home, "disable", "lan")
    assert code == 0, err
    code, out, _ = _cli(home, "list", "--json")
    assert json.loads(out.splitlines()[0])["disabled"] is True
    # who did it is in the audit chain, and the password in no file of the home
    store = Store(f"sqlite:///{home / 'digitizer.db'}")
    try:
        actions = [(e.actor, e.action) for e in entries_of(store)]
        assert ("it-admin", "user_add") in actions and ("it-admin", "user_disable") in actions
        assert verify_chain(store) is None
    finally:
        store.close()
    for path in home.rglob("*"):
        if path.is_file():
            assert b"correct horse" not in path.read_bytes(), path


def test_no_terminal_and_no_stdin_flag_is_refused(tmp_path: Path) -> None:
    proc = run_digitizer(tmp_path / "home", "users", "add", "lan", "--by", "it")
    assert proc.returncode == 1
    assert "--password-stdin" in proc.stderr


def test_sign_in_on_both_backends(store_url: str) -> None:
    store = Store(store_url)
    try:
        with store.session() as s, s.begin():
            add(s, "lan", "clerk", "correct horse", by="it")
            add(s, "head", "head", "another secret", by="it")
            with pytest.raises(AccountError):
                add(s, "lan", "admin", "whatever long", by="it")
        with store.session() as s, s.begin():
            row = s.query(Account).filter_by(name="lan").one()
            assert row.password_hash.startswith("$argon2id$")
            assert "correct horse" not in row.password_hash
            assert sign_in(s, "lan", "correct horse") == SignedIn("lan", "clerk")
            assert sign_in(s, "lan", "Correct horse") is None
            assert sign_in(s, "nobody", "correct horse") is None
            assert sign_in(s, "head", "another secret") == SignedIn("head", "head")
        with store.session() as s, s.begin():
            disable(s, "lan", by="it")
        with store.session() as s, s.begin():
            assert sign_in(s, "lan", "correct horse") is None  # disabled
        assert [e.action for e in entries_of(store)] == [
            "user_add",
            "user_add",
            "user_disable",
        ]
        assert verify_chain(store) is None
    finally:
        store.close()
