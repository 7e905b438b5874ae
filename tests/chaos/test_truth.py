"""The chaos run's judge (bench/chaos/truth.py): what counts as a lost, false, merged or split
incident, a lost or repeated notice, and the plan it judges against."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from bench.chaos.truth import (
    Fault,
    Notice,
    Span,
    judge_incidents,
    judge_notices,
    outages,
    plan_faults,
    plan_targets,
    schedule_length,
)

T0 = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
SLACK = timedelta(seconds=12)


def span(start: float, end: float | None) -> Span:
    return Span(T0 + timedelta(seconds=start), None if end is None else T0 + timedelta(seconds=end))


def test_each_outage_with_its_late_incident_is_neither_lost_nor_false() -> None:
    truth = {0: [span(10, 40), span(70, 100)]}
    recorded = {0: [span(12, 48), span(74, 103)]}
    judged = judge_incidents(truth, recorded, SLACK)
    assert (judged.expected, judged.recorded) == (2, 2)
    assert not (judged.lost or judged.false or judged.merged or judged.split)
    assert (judged.start_error, judged.end_error) == (4.0, 8.0)


def test_an_outage_without_incident_is_lost_and_an_incident_without_outage_is_false() -> None:
    judged = judge_incidents({0: [span(10, 40)], 1: []}, {0: [], 1: [span(200, 230)]}, SLACK)
    assert len(judged.lost) == 1 and "target 0" in judged.lost[0]
    assert len(judged.false) == 1 and "target 1" in judged.false[0]


def test_an_incident_over_two_outages_missed_a_recovery() -> None:
    judged = judge_incidents({0: [span(10, 40), span(70, 100)]}, {0: [span(12, 103)]}, SLACK)
    assert len(judged.merged) == 1 and not judged.lost


def test_two_incidents_for_one_outage_are_a_split() -> None:
    judged = judge_incidents({0: [span(10, 60)]}, {0: [span(12, 30), span(35, 62)]}, SLACK)
    assert len(judged.split) == 1


def test_a_late_recovery_near_the_next_outage_is_not_taken_for_it() -> None:
    judged = judge_incidents({0: [span(10, 40), span(66, 100)]}, {0: [span(12, 62), span(68, 104)]}, SLACK)
    assert not (judged.lost or judged.false or judged.merged or judged.split)


def test_slack_only_for_an_incident_that_overlaps_no_outage() -> None:
    # Stamped a few seconds after the outage ended (a clock a little ahead): still its incident.
    assert not judge_incidents({0: [span(10, 40)]}, {0: [span(45, 50)]}, SLACK).false
    assert judge_incidents({0: [span(10, 40)]}, {0: [span(60, 70)]}, SLACK).false


def test_notices_lost_repeated_and_missing() -> None:
    notices = [
        Notice(1, "incident_confirmed", "sent", "<a@x>"),
        Notice(1, "incident_recovered", "sent", "<b@x>"),
        Notice(2, "incident_confirmed", "pending", "<c@x>"),
    ]
    judged = judge_notices(notices, ["<a@x>", "<a@x>", "<b@x>"], {1: True, 2: True, 3: False})
    assert (judged.queued, judged.delivered, judged.duplicates) == (3, 2, 1)
    assert len(judged.lost) == 1 and "incident 2" in judged.lost[0]
    assert sorted(judged.missing) == [
        "incident 2: no incident_recovered notice",
        "incident 3: no incident_confirmed notice",
    ]


def test_the_plan_keeps_outages_apart_and_blips_inside_up_times() -> None:
    rng = random.Random(5)
    switches = plan_targets(rng, 4, 15, 400, (20, 45), (25, 45), 0.4)
    happened = [(T0 + timedelta(seconds=switch.at), switch) for switch in switches]
    for blips in (False, True):
        for spans in outages(happened, blips).values():
            for earlier, later in itertools.pairwise(spans):
                assert earlier.end is not None and earlier.end < later.start
    real = outages(happened, blips=False)
    for target, spans in outages(happened, blips=True).items():
        for blip in spans:
            assert blip.end is not None and (blip.end - blip.start).total_seconds() < 0.5
            assert not any(
                o.start - timedelta(seconds=8) < blip.end
                and blip.start < (o.end or blip.start) + timedelta(seconds=8)
                for o in real.get(target, [])
            )


def test_every_fault_fits_in_the_schedule_it_sizes() -> None:
    kinds = [Fault(0, "kill", "worker", 3), Fault(0, "database", "", 60), Fault(0, "smtp", "", 60)]
    length = schedule_length(kinds, 20, 8, 25)
    planned = plan_faults(random.Random(1), kinds, [], 20, 8)
    assert [fault.kind for fault in planned] == ["kill", "database", "smtp"]
    assert planned[-1].at + planned[-1].seconds <= length - 25
