"""The four targets of a report as a chat message, in the reader's language: what a
report sent to staff says before its files."""

from __future__ import annotations

from typing import Any

from core.messages import t

# The targets in the order the scheme lists them, and how each one's value is written.
_TARGETS = ("received_per_month", "on_time", "satisfied", "adopted")


def _value(language: str, key: str, value: float | None) -> str:
    if value is None:
        return t(language, "report.value.none")
    return f"{value:.1f}" if key == "received_per_month" else f"{value:.1%}"


def _goal(key: str, goal: float) -> str:
    return f"{goal:g}" if key == "received_per_month" else f"{goal:.0%}"


def _counted(key: str, figures: dict[str, Any]) -> dict[str, object]:
    """What each target was counted from, for its line."""
    if key == "received_per_month":
        return {"received": figures["received"]}
    if key == "on_time":
        on_time = figures["on_time"]
        return {"part": on_time["on_time"], "whole": on_time["answered"] + on_time["late_open"]}
    if key == "satisfied":
        return {
            "part": figures["satisfied"]["satisfied"],
            "whole": figures["satisfied"]["answered"],
        }
    return {"part": figures["adopted"]["adopted"], "whole": figures["adopted"]["decided"]}


def targets_text(language: str, figures: dict[str, Any]) -> str:
    """One line per target: its value, the target, met or not, and what it counts."""
    lines = []
    for key in _TARGETS:
        target = figures["targets"][key]
        verdict = {True: "met", False: "missed", None: "none"}[target["met"]]
        lines.append(
            t(
                language,
                f"report.target.{key}",
                value=_value(language, key, target["value"]),
                goal=_goal(key, target["target"]),
                verdict=t(language, f"report.verdict.{verdict}"),
                **_counted(key, figures),
            )
        )
    return "\n".join(lines)
