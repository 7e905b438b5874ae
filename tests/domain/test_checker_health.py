"""The checker's self-health rules, held to a literal (brute-force) reading of their definition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.checker_health import (
    NETWORK_ERROR_CLASSES,
    Finding,
    Health,
    Phase,
    Rules,
    Sighting,
    after,
    is_suspect,
    judge,
)

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
CANARIES = ("https://canary-a.test/", "https://canary-b.test/")
ERROR_CLASSES = ["", "dns", "refused", "reset", "timeout", "other", "http_status", "tls_expired", "keyword"]


def _sighting(draw: st.DrawFn) -> Sighting:
    canary = draw(st.booleans())
    if canary:
        subject = draw(st.sampled_from(CANARIES))
        host = subject.split("/")[2]
    else:
        host = draw(st.sampled_from(["a.test", "b.test", "c.test", "d.test", "e.test"]))
        subject = f"https://{host}/{draw(st.sampled_from(['', 'shop', 'blog']))}"
    return Sighting(
        subject=subject,
        host=host,
        started_at=T0 + timedelta(seconds=draw(st.integers(0, 60))),
        error_class=draw(st.sampled_from(ERROR_CLASSES)),
        canary=canary,
    )


sightings = st.lists(st.composite(_sighting)(), max_size=25)
rules = st.builds(
    Rules,
    min_hosts=st.integers(1, 5),
    failing_share_percent=st.integers(1, 100),
    recover_rounds=st.integers(1, 4),
)


def oracle_judge(seen: list[Sighting], since: datetime, canaries: tuple[str, ...], rule: Rules) -> Finding:
    """The rules as written, one question at a time over the whole list."""
    recent = [s for s in seen if s.started_at >= since]
    if any(s.error_class not in NETWORK_ERROR_CLASSES for s in recent):
        return Finding.REACHED
    if canaries:
        probed = all(any(s.canary and s.subject == url for s in recent) for url in canaries)
        return Finding.CUT_OFF if probed else Finding.UNDECIDED
    monitors = [s for s in recent if not s.canary]
    subjects = {s.subject for s in monitors}
    hosts = {s.host for s in monitors if s.error_class == "dns"}

    def last_is_dns(subject: str) -> bool:
        mine = [s for s in monitors if s.subject == subject]
        newest = max(s.started_at for s in mine)
        # Two sightings of one URL started in the same instant: none of them is "later".
        return any(s.error_class == "dns" for s in mine if s.started_at == newest)

    dns_subjects = [subject for subject in subjects if last_is_dns(subject)]
    if len(hosts) >= rule.min_hosts and len(dns_subjects) / len(subjects) * 100 >= rule.failing_share_percent:
        return Finding.CUT_OFF
    return Finding.UNDECIDED


def _unique_instants(seen: list[Sighting]) -> bool:
    keys = [(s.subject, s.started_at) for s in seen if not s.canary]
    return len(keys) == len(set(keys))


@given(sightings, st.integers(0, 60), st.sampled_from([(), CANARIES[:1], CANARIES]), rules)
def test_judge_agrees_with_the_literal_rules(
    seen: list[Sighting], since_seconds: int, canaries: tuple[str, ...], rule: Rules
) -> None:
    if not _unique_instants(seen):
        # Same URL, same instant, different outcome: which one is "latest" is left open.
        seen = list({(s.subject, s.started_at, s.canary): s for s in seen}.values())
    since = T0 + timedelta(seconds=since_seconds)
    assert judge(seen, since, canaries, rule) == oracle_judge(seen, since, canaries, rule)


@given(sightings, st.integers(0, 60), rules)
def test_an_answer_since_the_suspect_always_means_the_failure_is_real(
    seen: list[Sighting], since_seconds: int, rule: Rules
) -> None:
    since = T0 + timedelta(seconds=since_seconds)
    answered = Sighting("https://z.test/", "z.test", since, "http_status")
    for canaries in ((), CANARIES):
        assert judge([*seen, answered], since, canaries, rule) is Finding.REACHED


def test_one_server_going_down_is_never_our_outage_without_canaries() -> None:
    """Every site of the agency on one server that stops: refused and timed-out connections,
    however many, are never judged the checker's own outage when only DNS can tell."""
    down = [
        Sighting(f"https://site{n}.test/", f"site{n}.test", T0, "refused" if n % 2 else "timeout")
        for n in range(20)
    ]
    assert judge(down, T0, (), Rules()) is Finding.UNDECIDED
    assert not is_suspect("refused", with_canaries=False) and is_suspect("refused", with_canaries=True)


def test_a_resolver_that_stops_answering_is_ours_without_canaries() -> None:
    lost = [Sighting(f"https://site{n}.test/", f"site{n}.test", T0, "dns") for n in range(3)]
    assert judge(lost, T0, (), Rules()) is Finding.CUT_OFF
    assert judge(lost[:2], T0, (), Rules()) is Finding.UNDECIDED  # two names could be two expired domains


def test_canaries_decide_when_configured() -> None:
    site_down = Sighting("https://site.test/", "site.test", T0, "refused")
    canary_down = [Sighting(url, url.split("/")[2], T0, "timeout", canary=True) for url in CANARIES]
    assert judge([site_down, *canary_down[:1]], T0, CANARIES, Rules()) is Finding.UNDECIDED
    assert judge([site_down, *canary_down], T0, CANARIES, Rules()) is Finding.CUT_OFF
    canary_up = Sighting(CANARIES[1], "canary-b.test", T0, "", canary=True)
    assert judge([site_down, canary_down[0], canary_up], T0, CANARIES, Rules()) is Finding.REACHED


findings = st.lists(st.sampled_from(list(Finding)), max_size=30)


def oracle_phase(sequence: list[Finding], rule: Rules) -> tuple[Phase, int | None]:
    """Impaired iff some finding was cut off and no ``recover_rounds`` reached findings in a row
    followed the last one; since the first cut-off finding after the last recovery."""
    cut_offs = [i for i, finding in enumerate(sequence) if finding is Finding.CUT_OFF]
    if not cut_offs:
        return Phase.HEALTHY, None
    last = cut_offs[-1]
    rest = sequence[last + 1 :]
    k = rule.recover_rounds
    if any(all(f is Finding.REACHED for f in rest[i : i + k]) for i in range(len(rest) - k + 1)):
        return Phase.HEALTHY, None
    # The outage began at the earliest cut-off finding not followed by a recovery before ``last``.
    start = last
    for i in reversed(cut_offs):
        between = sequence[i + 1 : start + 1] if i != start else []
        recovered = any(
            all(f is Finding.REACHED for f in between[j : j + k]) for j in range(len(between) - k + 1)
        )
        if recovered:
            break
        start = i
    return Phase.IMPAIRED, start


@given(findings, rules)
def test_hysteresis_agrees_with_the_oracle(sequence: list[Finding], rule: Rules) -> None:
    health = Health()
    for i, finding in enumerate(sequence):
        health = after(health, finding, T0 + timedelta(seconds=i), rule)
    phase, start = oracle_phase(sequence, rule)
    assert health.phase is phase
    assert health.since == (None if start is None else T0 + timedelta(seconds=start))


@given(st.lists(st.sampled_from([Finding.REACHED, Finding.UNDECIDED]), max_size=20), rules)
def test_a_healthy_checker_never_becomes_impaired_without_a_cut_off_finding(
    sequence: list[Finding], rule: Rules
) -> None:
    health = Health()
    for finding in sequence:
        health = after(health, finding, T0, rule)
    assert health == Health()
