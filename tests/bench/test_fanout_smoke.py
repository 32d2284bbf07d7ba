"""The fan-out benchmark runs end to end on a small hall and its report is complete.

This checks the instrument, not the performance: 50 tablets, 2 rounds, both servers; every
client must get every event exactly once, in order, and every figure must be there. The real
run (3,000 tablets) is `make fanout`; its figures are never asserted by a test.
"""

import json
import subprocess
import sys

from tests.hallserver import ROOT

CLIENTS, DISPLAYS, ROUNDS = 50, 10, 2


def test_fanout_bench_small_hall(tmp_path):
    report_path = tmp_path / "fanout.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.fanout", "--clients", str(CLIENTS), "--displays", str(DISPLAYS),
         "--rounds", str(ROUNDS), "--interval", "0.5", "--settle", "0.3", "--quiet",
         "--json", str(report_path), "--results-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, f"bench failed:\n{run.stdout}\n{run.stderr[-4000:]}"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["failures"] == []
    assert report["machine"]["nproc"] >= 1 and report["machine"]["python"]
    assert list(report["results"]) == ["huitang", "floor"]

    for name, result in report["results"].items():
        clients = CLIENTS + DISPLAYS
        assert result["connect"] == {**result["connect"], "ok": clients, "failed": 0}, name
        integrity = result["integrity"]
        assert integrity["expected"] == clients * ROUNDS, name
        assert integrity["received"] == clients * ROUNDS, name
        for key in ("lost", "duplicated", "out_of_order", "gaps", "closed_by_server", "stray_messages"):
            assert integrity[key] == 0, (name, key, integrity)
        assert len(result["rounds_detail"]) == ROUNDS
        for rnd in result["rounds_detail"]:
            assert rnd["ack"]["type"] == "ok" and not rnd["timed_out"], (name, rnd)
            assert rnd["console_event_ms"] is not None, (name, rnd)

        headline = report["headline"][name]
        for key in ("connect_all_s", "connect_p99_ms", "fanout_p50_ms", "fanout_p99_ms", "fanout_max_ms",
                    "ack_median_ms", "server_cpu_per_event_ms", "server_peak_rss_mib",
                    "bench_cpu_per_event_ms"):
            assert isinstance(headline[key], (int, float)) and headline[key] > 0, (name, key, headline[key])
        assert headline["fanout_p50_ms"] <= headline["fanout_p99_ms"] <= headline["fanout_max_ms"]

    markdown = next(tmp_path.glob("fanout-*.md")).read_text(encoding="utf-8")
    assert "| fan-out p99 |" in markdown and "Huitang" in markdown and "floor" in markdown
    assert "fan-out p99" in run.stdout
