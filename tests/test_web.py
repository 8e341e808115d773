"""The web workspace served for real (``digitizer serve`` on a loopback port), over HTTP.

Sign-in is required for every page; a wrong password, a form without its token and a sixth
failed attempt in a minute are refused; the session cookie is HttpOnly and SameSite; every
response forbids inline scripts; signing in and out are audit entries under the account.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from digitizer.store import Store
from digitizer.store.audit import entries_of
from tests.cli import ROOT, run_digitizer, start_digitizer

SAMPLE = ROOT / "samples" / "scans" / "scan_0010.tif"  # a commune notice: needs review
LAND = ROOT / "samples" / "scans" / "scan_0005.tif"  # a land certificate: its holder's ID in doubt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    home = tmp_path_factory.mktemp("home")
    command = ["users", "add", "lan", "--role", "clerk", "--password-stdin", "--by", "it"]
    added = subprocess.run(
        [sys.executable, "-m", "digitizer", "--config", str(ROOT), *command],
        input="correct horse\n",
        capture_output=True,
        text=True,
        env={**os.environ, "DIGITIZER_HOME": str(home)},
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    done = run_digitizer(home, "process", "--json", "--workers", "1", str(SAMPLE), str(LAND))
    assert done.returncode in (0, 1), done.stderr
    doc_id = str(json.loads(done.stdout.splitlines()[0])["document_id"])
    port = _free_port()
    proc = start_digitizer(home, "serve", "--port", str(port), stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("digitizer serve did not answer in 30 s")
    yield base, home, doc_id
    proc.terminate()
    proc.wait(timeout=20)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def test_every_page_needs_a_session(server: tuple[str, Path, str]) -> None:
    base, _, _ = server
    page = httpx.get(f"{base}/review", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Freview"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    login = httpx.get(f"{base}/login")
    assert "Đăng nhập" in login.text  # Vietnamese first
    assert "Sign in" in httpx.get(f"{base}/login?lang=en").text


def test_sign_in_review_queue_and_sign_out(server: tuple[str, Path, str]) -> None:
    base, home, doc_id = server
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        token = _csrf(client.get("/login").text)
        no_token = client.post("/login", data={"username": "lan", "password": "correct horse"})
        assert no_token.status_code == 400
        wrong = client.post(
            "/login", data={"csrf": token, "username": "lan", "password": "wrong horse"}
        )
        assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
        right = client.post(
            "/login",
            data={"csrf": token, "username": "lan", "password": "correct horse", "next": "//evil"},
        )
        assert right.status_code == 303 and right.headers["location"] == "/review"
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        queue = client.get("/review")
        assert queue.status_code == 200
        assert doc_id in queue.text and "Văn bản hành chính" in queue.text
        out = client.post("/logout", data={"csrf": _csrf(queue.text)})
        assert out.status_code == 303
        assert client.get("/review").status_code == 303  # signed out
    store = Store(f"sqlite:///{home / 'digitizer.db'}")
    try:
        signed = [(e.actor, e.action) for e in entries_of(store) if e.action in ("login", "logout")]
    finally:
        store.close()
    assert signed == [("lan", "login"), ("lan", "logout")]


def _signed_in_client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    token = _csrf(client.get("/login").text)
    done = client.post(
        "/login", data={"csrf": token, "username": "lan", "password": "correct horse"}
    )
    assert done.status_code == 303
    return client


def test_a_clerk_corrects_a_field_wrong_then_right(server: tuple[str, Path, str]) -> None:
    base, home, _ = server
    right_id = "001097012345"  # what the clerk reads on the paper (a 12-digit personal ID)
    store = Store(f"sqlite:///{home / 'digitizer.db'}")
    try:
        with store.session() as s:
            from digitizer.store.models import Document

            land = s.query(Document).filter_by(doc_type="land_use_certificate").one().id
    finally:
        store.close()
    client = _signed_in_client(base)
    try:
        page = client.get(f"/review/{land}")
        assert page.status_code == 200
        assert "Số định danh cá nhân" in page.text and "cần kiểm tra" in page.text
        image = client.get(f"/review/{land}/page/0.png?field=holder_id")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        token = _csrf(page.text)
        wrong = client.post(
            f"/review/{land}/field/holder_id",
            data={"csrf": token, "seen": "148661262", "value": "12345", "action": "correct"},
        )
        assert wrong.status_code == 303
        shown = client.get(wrong.headers["location"])
        assert "Chưa lưu:" in shown.text
        assert "số định danh cá nhân có 12 chữ số" in shown.text  # the reason, in Vietnamese
        right = client.post(
            f"/review/{land}/field/holder_id",
            data={
                "csrf": token,
                "seen": "148661262",
                "value": right_id,
                "action": "correct",
            },
        )
        assert right.status_code == 303
        # what a URL carries is shown as text, never run
        attack = '/x"><script>alert(1)</script>'
        login = client.get("/login", params={"next": attack})
        assert "<script>alert(1)" not in login.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in login.text
        assert client.get(f"/review/{land}/page/9.png").status_code == 404
        assert client.get("/review/..%2F..%2Fetc%2Fpasswd").status_code == 404
    finally:
        client.close()
    store = Store(f"sqlite:///{home / 'digitizer.db'}")
    try:
        decisions = [
            (e.actor, e.action, e.field_name, e.new_value)
            for e in entries_of(store)
            if e.document_id == land and e.actor == "lan"
        ]
    finally:
        store.close()
    assert ("lan", "correct", "holder_id", right_id) in decisions
    assert all(d[3] != "12345" for d in decisions)  # the refused value was not saved


def test_one_search_box_understands_what_a_clerk_types(server: tuple[str, Path, str]) -> None:
    base, _, notice = server
    client = _signed_in_client(base)
    try:
        by_name = client.get("/lookup", params={"q": "ta thu thao"})  # typed without accents
        assert by_name.status_code == 200
        assert "Giấy chứng nhận quyền sử dụng đất" in by_name.text
        by_parcel = client.get("/lookup", params={"q": "tờ 65 thửa 905"})
        assert "Giấy chứng nhận quyền sử dụng đất" in by_parcel.text
        by_words = client.get("/lookup", params={"q": "thời gian tiếp nhận hồ sơ"})
        assert notice in by_words.text
        nothing = client.get("/lookup", params={"q": "<script>alert(2)</script>"})
        assert "Không tìm thấy" in nothing.text and "<script>alert(2)" not in nothing.text
    finally:
        client.close()


# last in this file: it blocks this address for a minute
def test_a_sixth_failure_in_a_minute_is_refused(server: tuple[str, Path, str]) -> None:
    base, _, _ = server
    with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as client:
        token = _csrf(client.get("/login").text)
        codes = [
            client.post(
                "/login", data={"csrf": token, "username": "guess", "password": f"try {n}"}
            ).status_code
            for n in range(6)
        ]
    assert codes == [401] * 5 + [429]
