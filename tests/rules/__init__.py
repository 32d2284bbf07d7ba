"""Tests of the pure domain rules (signin.quorum_rule, voting.rules): exhaustive where the
domain is finite, hypothesis for the rest.  No database, no Django."""

from hypothesis import HealthCheck, settings

# Shared hypothesis settings: enough examples to find edge cases, fast enough to keep the
# whole tests/rules run well under a minute.  No deadline: CI machines vary.
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
