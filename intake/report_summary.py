"""The few lines `intake report` prints without --json: the four targets, met or not,
and the most frequent common problems."""

from __future__ import annotations

from typing import Any

PROBLEMS_SHOWN = 5

_TARGETS = (
    ("received_per_month", "received per month"),
    ("on_time", "on time"),
    ("satisfied", "satisfied"),
    ("adopted", "suggestions adopted"),
)


def _shown(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if key == "received_per_month" else f"{value:.1%}"


def _goal(key: str, target: float) -> str:
    return f"{target:g}" if key == "received_per_month" else f"{target:.1%}"


def _basis(key: str, figures: dict[str, Any]) -> str:
    """What a figure was counted from, in a few words."""
    if key == "received_per_month":
        return f"{figures['received']} received"
    if key == "on_time":
        on_time = figures["on_time"]
        counted = on_time["answered"] + on_time["late_open"]
        return (
            f"{on_time['on_time']} of {counted}: {on_time['answered']} answered,"
            f" {on_time['late_open']} late and unanswered"
        )
    if key == "satisfied":
        satisfied = figures["satisfied"]
        return (
            f"{satisfied['satisfied']} of {satisfied['answered']} surveys,"
            f" {satisfied['definition']}"
        )
    adopted = figures["adopted"]
    return f"{adopted['adopted']} of {adopted['decided']} decided"


def summary(figures: dict[str, Any]) -> list[str]:
    """The report's period, its four targets and its top problems, one line each."""
    period = figures["period"]
    lines = [f"figures for {period['label']} ({period['from']} to {period['to']}, bank time)"]
    for key, name in _TARGETS:
        target = figures["targets"][key]
        goal = _goal(key, target["target"])
        verdict = {True: "met", False: "NOT met", None: "nothing counted"}[target["met"]]
        lines.append(
            f"{name}\t{_shown(key, target['value'])}\ttarget >= {goal}\t{verdict}"
            f"\t({_basis(key, figures)})"
        )
    problems = figures["common_problems"][:PROBLEMS_SHOWN]
    if problems:
        lines.append("common problems (count, share, change against the previous period):")
    for problem in problems:
        rising = "\trising" if problem["rising"] else ""
        lines.append(
            f"{problem['label']}\t{problem['business_type']}\t{problem['count']}"
            f"\t{problem['share']:.1%}\t{problem['change']:+d}{rising}"
        )
    return lines
