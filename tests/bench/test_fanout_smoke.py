"""The fan-out benchmark runs end to end on a small hall and its report is complete.

This checks the instrument, not the performance: 100 tablets and 10 displays, 2 rounds, both
servers. Huitang's tablets and displays are paired devices that answer the challenge; every
client must get every round's event exactly once, in order, and every figure must be there.
The real run (3,000 tablets) is `make fanout`; its figures are never asserted by a test.
"""

from tests.bench.runner import run_bench

CLIENTS, DISPLAYS, ROUNDS = 100, 10, 2


def test_fanout_bench_small_hall(tmp_path):
    run, report = run_bench("fanout", tmp_path, "--clients", CLIENTS, "--displays", DISPLAYS, "--rounds", ROUNDS,
                            "--interval", 0.5, "--settle", 0.3, timeout=120)

    for name, result in report["results"].items():
        clients = CLIENTS + DISPLAYS
        assert result["connect"] == {**result["connect"], "ok": clients, "failed": 0}, name
        # Huitang: every device signed its challenge; the floor sends the snapshot at once.
        assert result["connect"]["challenged"] == (clients if name == "huitang" else 0), (name, result["connect"])
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
