"""Quality: the cheap checks every pair passes, the question index, and the judge pass."""

from qagen_desktop.core.quality.checks import (
    MIN_SUPPORT,
    PairChecker,
    Rejection,
    check_answer_given,
    check_answer_not_a_question,
    check_links_found,
    check_no_debris,
    check_not_cut_off,
    check_not_echo,
    check_question_askable,
    check_self_contained,
    check_supported,
    check_yes_no_fits,
    names_something,
)
from qagen_desktop.core.quality.judge import (
    MIN_SCORE,
    Rating,
    apply_ratings,
    judge_messages,
    judge_response_format,
    parse_ratings,
)
from qagen_desktop.core.quality.question_index import QuestionIndex

__all__ = [
    "MIN_SCORE",
    "MIN_SUPPORT",
    "PairChecker",
    "QuestionIndex",
    "Rating",
    "Rejection",
    "apply_ratings",
    "check_answer_given",
    "check_answer_not_a_question",
    "check_links_found",
    "check_no_debris",
    "check_not_cut_off",
    "check_not_echo",
    "check_question_askable",
    "check_self_contained",
    "check_supported",
    "check_yes_no_fits",
    "judge_messages",
    "judge_response_format",
    "names_something",
    "parse_ratings",
]
