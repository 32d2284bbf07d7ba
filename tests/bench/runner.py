"""Run a benchmark as CI does: a small hall, both servers, the report checked for completeness."""

import json
import subprocess
import sys

from tests.hallserver import ROOT


def run_bench(bench, tmp_path, *args, timeout):
    """``python -m bench.<bench> <args> --quiet``; assert it passed against both servers.

    Returns (the finished process, the JSON report)."""
    report_path = tmp_path / f"{bench}.json"
    run = subprocess.run(
        [sys.executable, "-m", f"bench.{bench}", *map(str, args), "--quiet",
         "--json", str(report_path), "--results-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )
    assert run.returncode == 0, f"bench failed:\n{run.stdout}\n{run.stderr[-4000:]}"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["failures"] == []
    assert report["machine"]["nproc"] >= 1 and report["machine"]["python"]
    assert report["command"].startswith(f"python -m bench.{bench} {' '.join(map(str, args[:2]))}")
    assert list(report["results"]) == ["huitang", "floor"]
    return run, report
