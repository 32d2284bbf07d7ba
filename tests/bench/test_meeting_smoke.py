"""The meeting benchmark plays a whole meeting end to end on a small hall and its report is complete.

This checks the instrument, not the performance: 200 tablets and 2 displays, against Huitang and
the floor; every ballot sent must be acknowledged, stored and tallied exactly once, and every
figure of the report must be there. The real run (3,000 tablets) is `make bench`; its figures
are never asserted by a test.
"""

from tests.bench.runner import run_bench

TABLETS, DISPLAYS = 200, 2


def test_meeting_bench_small_hall(tmp_path):
    run, report = run_bench("meeting", tmp_path, "--tablets", TABLETS, "--displays", DISPLAYS,
                            "--signin-spread", 1, "--vote-spread", 1, "--settle", 0.3, timeout=180)

    for name, result in report["results"].items():
        counts = result["counts"]
        # Both servers challenge every device, and every device answered with its key.
        assert result["connect"]["challenged"] == TABLETS + DISPLAYS, (name, result["connect"])
        # Nothing lost, nothing duplicated: every tablet's ballot sent, acknowledged with a receipt,
        # stored in the ballot log and counted in the result, choice by choice.
        assert counts["connected_tablets"] == TABLETS, name
        assert counts["sent"] == counts["acked"] == counts["stored"] == counts["tallied"] == TABLETS, (name, counts)
        assert counts["by_choice_acked"] == counts["by_choice_tallied"], (name, counts)
        assert counts["distinct_positions"] == TABLETS and counts["positions_contiguous"], name
        assert counts["poll_received"] == TABLETS and counts["poll_received_twice"] == 0, name
        assert counts["signed_in_ok"] == TABLETS, (name, counts["taps"])
        assert counts["displays_with_result"] == DISPLAYS and counts["displays_result_agrees"], name
        streams = result["streams"]
        for key in ("gaps", "duplicates", "closed_by_server", "console_gaps", "console_duplicates"):
            assert streams[key] == 0, (name, key, streams)

        headline = report["headline"][name]
        for key in ("connect_all_s", "connect_p99_ms", "signin_all_acked_s", "tap_p99_ms", "vote_open_p50_ms",
                    "vote_open_p99_ms", "vote_open_max_ms", "ballot_ack_p50_ms", "ballot_ack_p99_ms",
                    "ballot_ack_max_ms", "close_ack_ms", "result_on_displays_ms", "server_cpu_vote_s",
                    "server_peak_rss_mib"):
            assert isinstance(headline[key], (int, float)) and headline[key] > 0, (name, key, headline[key])
        assert headline["vote_open_p50_ms"] <= headline["vote_open_p99_ms"] <= headline["vote_open_max_ms"]
        assert headline["ballot_ack_p50_ms"] <= headline["ballot_ack_p99_ms"] <= headline["ballot_ack_max_ms"]
        assert headline["ballots"] == f"{TABLETS}/{TABLETS}/{TABLETS}/{TABLETS}"
        assert headline["integrity_ok"] is True
        assert set(report["verdicts"][name]) == {"connect_all_s", "vote_open_p99_ms", "ballot_ack_p99_ms",
                                                 "result_on_displays_ms", "integrity", "server_peak_rss_mib"}
        assert report["verdicts"][name]["integrity"]["pass"] is True

    markdown = next(tmp_path.glob("meeting-*.md")).read_text(encoding="utf-8")
    for row in ("| vote-open → tablet, p99 |", "| ballot → ok with receipt, p99 |",
                "| close → result on every display |", "| ballots sent / acked / stored / tallied |"):
        assert row in markdown
    assert "ballot → ok with receipt, p99" in run.stdout
