"""Start a real Huitang server process (daphne) on a free port, on its own SQLite database (or on a
PostgreSQL database: ``HallEnv(database_url=...)``, tests/pg.py).

Used by the socket tests, the browser tests and the benchmark. Tablets and displays connect as
paired devices (tests/devicekit.py). The test process shares the server's SECRET_KEY so it can
make what the server signs (badge codes, sub-venue codes), and can read the server's database
file directly to check what was stored.
"""

import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


@dataclass
class HallEnv:
    """A data directory with a migrated, seeded database and the settings to reach it."""

    var_dir: Path
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    redis_url: str = ""
    debug_log: bool = False
    # A PostgreSQL database for the server processes (tests/pg.py makes one); "" = SQLite in var_dir.
    database_url: str = ""

    @property
    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUITANG_")}
        env.update(
            HUITANG_VAR_DIR=str(self.var_dir),
            HUITANG_SECRET_KEY=self.secret_key,
            HUITANG_DEMO="1",
            HUITANG_LOG_LEVEL="DEBUG" if self.debug_log else "WARNING",
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def manage(self, *args, check=True):
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
        )
        if check and done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done

    def prepare(self, deputies=40, standing=15):
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo", "--deputies", str(deputies), "--standing", str(standing))
        return self

    @property
    def db_path(self):
        return self.var_dir / "huitang.sqlite3"

    def query(self, sql, params=()):
        """Read the server's database directly (``?`` placeholders, whichever the database)."""
        if self.database_url:
            import psycopg

            from tests.pg import _libpq

            with psycopg.connect(_libpq(self.database_url), autocommit=True) as con:
                return [tuple(row) for row in con.execute(sql.replace("?", "%s"), params).fetchall()]
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def staff_cookie(self, username="op-test", group="操作员"):
        """The session cookie of a staff user in ``group`` (created if missing), logged in."""
        out = self.manage("shell", "-c", (
            "from django.contrib.auth.models import User, Group; from django.test import Client;"
            f"u, _ = User.objects.get_or_create(username={username!r});"
            f"u.groups.set([Group.objects.get(name={group!r})]) if {group!r} else u.groups.clear();"
            "c = Client(); c.force_login(u); print(c.cookies['sessionid'].value)"
        ))
        return out.stdout.strip().splitlines()[-1]

    def meeting_ids(self):
        """{kind: id} of the seeded meetings."""
        return {kind: mid for mid, kind in self.query("select id, kind from meeting_meeting")}


@dataclass
class HallServer:
    env: HallEnv
    port: int
    proc: subprocess.Popen

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self):
        return f"ws://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(hall_env, port=None, log_path=None):
    port = port or free_port()
    log = open(log_path or hall_env.var_dir / f"server-{port}.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT, env=hall_env.env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc=proc)
    except Exception:
        proc.kill()
        raise
    return HallServer(hall_env, port, proc)
