"""A throwaway PostgreSQL cluster: initdb + pg_ctl in a fresh temporary directory, trust
authentication, listening on a free port on 127.0.0.1 only; stopped and deleted afterwards.

Used by the PostgreSQL scale-out tests (tests/realtime/test_postgres_scaleout.py, through the
``pg_cluster`` fixture in tests/conftest.py) and by ``python -m bench.meeting --postgres``.
PostgreSQL refuses to run as root: under root the cluster runs as the ``postgres`` user (the
Debian package makes it) or, failing that, ``nobody``, and its directory is made in the system's
temporary directory (pytest's own temporary directories are private to root).

    cluster = PgCluster().start()
    url = cluster.create_database("huitang")   # postgres://huitang@127.0.0.1:<port>/huitang
    ...
    cluster.stop()
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "huitang"


def find_bin_dir():
    """The directory holding initdb, pg_ctl and postgres, or None. ``HUITANG_PG_BIN`` wins; then
    Debian's /usr/lib/postgresql/<version>/bin (newest first); then the PATH."""
    candidates = [os.environ.get("HUITANG_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                         reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(os.path.realpath(on_path)).parent))
    for directory in candidates:
        if directory and all(os.access(Path(directory) / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port():
    from tests.hallserver import free_port

    return free_port()


def _run_as():
    """(uid, gid) to run the server as: ourselves, or an unprivileged account when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise RuntimeError("running as root and there is no postgres or nobody account to run PostgreSQL as")


class PgCluster:
    def __init__(self, bin_dir=None, port=None, durable=False, max_connections=300, parent_dir=None):
        """``durable``: keep fsync/synchronous_commit on (the benchmark: an acknowledged ballot must
        survive a power cut, as with SQLite's synchronous=FULL); off for tests, which only need the
        semantics."""
        self.bin_dir = bin_dir or find_bin_dir()
        if self.bin_dir is None:
            raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl, postgres) found; "
                               "install the postgresql package or set HUITANG_PG_BIN")
        self.port = port
        self.durable = durable
        self.max_connections = max_connections
        self.parent_dir = parent_dir
        self.dir = None
        self.running = False

    # ---- paths -----------------------------------------------------------------------------------

    @property
    def data_dir(self):
        return self.dir / "data"

    @property
    def log_path(self):
        return self.dir / "postgres.log"

    def url(self, database="postgres"):
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    # ---- life --------------------------------------------------------------------------------------

    def _run(self, *args, check=True):
        owner = _run_as()
        kwargs = {}
        if owner is not None:
            kwargs = {"user": owner[0], "group": owner[1], "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        done = subprocess.run([str(Path(self.bin_dir) / args[0]), *args[1:]], cwd=self.dir, env=env,
                              capture_output=True, text=True, **kwargs)
        if check and done.returncode:
            log = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}\n{log}")
        return done

    def start(self):
        owner = _run_as()
        parent = self.parent_dir
        if parent is None and owner is not None and os.path.isdir("/tmp"):
            parent = "/tmp"  # world-traversable, whatever TMPDIR says: the server runs as another user
        self.dir = Path(tempfile.mkdtemp(prefix="huitang-pg-", dir=parent))
        if owner is not None:
            os.chown(self.dir, *owner)
            self.dir.chmod(0o700)
        self.port = self.port or _free_port()
        try:
            self._start()
        except Exception:
            self.stop()
            raise
        return self

    def _start(self):
        self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                  "--locale=C", *([] if self.durable else ["--no-sync"]))
        settings = [
            "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.dir),
            "-c", f"max_connections={self.max_connections}",
        ]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        for option in os.environ.get("HUITANG_PG_OPTIONS", "").split():
            settings += ["-c", option]  # diagnosis, e.g. "log_lock_waits=on deadlock_timeout=100ms"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-w", "-t", "60",
                  "-o", " ".join(settings), "start")
        self.running = True

    def stop(self, keep=False):
        """Stop the server; delete its directory unless ``keep``."""
        if self.dir is None:
            return
        if self.running or (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop", check=False)
            self.running = False
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def postmaster_pid(self):
        """The server's process id (the first line of postmaster.pid)."""
        return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])

    def __enter__(self):
        return self.start() if self.dir is None else self

    def __exit__(self, *exc):
        self.stop()

    # ---- databases ---------------------------------------------------------------------------------

    def create_database(self, name):
        """A new, empty database; returns its URL."""
        create_database(self.url(), name)
        return self.url(name)


def create_database(server_url, name):
    """CREATE DATABASE ``name`` on the server of ``server_url`` (any database URL of it)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(_libpq(server_url, "postgres"), autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _libpq(url, database=None):
    """A dj-database-url style URL as a libpq URI (the scheme must be postgresql/postgres)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    path = f"/{database}" if database else parts.path
    return urlunsplit(("postgresql", parts.netloc, path, parts.query, ""))


def is_postgres(url):
    return bool(url) and url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql", "postgis")
