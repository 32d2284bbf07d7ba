"""The voting rules as pure functions: thresholds, motions, appointments, elections and
livelihood-project votes.  No Django, no floats.  The specification is ``README.md``
beside this file; quorum lives in ``signin.quorum_rule``.
"""

from .appointment import AppointmentResult, NomineeResult, check_appointment_ballot, tally_appointment
from .election import (
    VOID_REASON_LABELS,
    ElectionResult,
    PersonResult,
    Selection,
    VoidReason,
    check_election_ballot,
    select_top,
    tally_election,
)
from .livelihood import LivelihoodResult, ProjectResult, check_livelihood_ballot, tally_livelihood
from .motion import (
    CHOICE_LABELS,
    INVALID_REASON_LABELS,
    NOT_VOTED_LABEL,
    Choice,
    InvalidReason,
    Mark,
    MotionResult,
    parse_choice,
    parse_mark,
    tally_motion,
)
from .threshold import (
    MAJORITY_OF_ENTITLED,
    TWO_THIRDS_OF_ENTITLED,
    Base,
    Comparison,
    Threshold,
)

__all__ = [
    "AppointmentResult",
    "NomineeResult",
    "check_appointment_ballot",
    "tally_appointment",
    "VOID_REASON_LABELS",
    "ElectionResult",
    "PersonResult",
    "Selection",
    "VoidReason",
    "check_election_ballot",
    "select_top",
    "tally_election",
    "LivelihoodResult",
    "ProjectResult",
    "check_livelihood_ballot",
    "tally_livelihood",
    "CHOICE_LABELS",
    "INVALID_REASON_LABELS",
    "NOT_VOTED_LABEL",
    "Choice",
    "InvalidReason",
    "Mark",
    "MotionResult",
    "parse_choice",
    "parse_mark",
    "tally_motion",
    "MAJORITY_OF_ENTITLED",
    "TWO_THIRDS_OF_ENTITLED",
    "Base",
    "Comparison",
    "Threshold",
]
