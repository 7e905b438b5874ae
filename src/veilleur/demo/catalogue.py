"""What the demo agency looks like: its clients, sites, monitors, contacts and maintenance."""

from __future__ import annotations

from dataclasses import dataclass, field

AGENCY_KEY = "demo"
AGENCY_NAME = "Atelier Lumière (démo)"
OWNER_EMAIL = "julie.moreau@atelier-lumiere.example"
OWNER_NAME = "Julie Moreau"
ON_CALL_EMAIL = "astreinte@atelier-lumiere.example"
WEEKLY_HOURS = {day: ["09:00-12:30", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


@dataclass(frozen=True)
class MonitorSpec:
    key: str
    path: str
    incidents_per_90_days: int  # how unreliable the page is


@dataclass(frozen=True)
class SiteSpec:
    key: str
    name: str
    url: str
    median_ms: int  # typical total response time
    spread: float  # sigma of the log-normal latency
    monitors: tuple[MonitorSpec, ...]
    apdex_threshold_ms: int = 500


@dataclass(frozen=True)
class WindowSpec:
    key: str
    title: str
    duration_minutes: int
    rrule: str = ""  # empty: a one-off window placed inside the demo period
    weekday: int = 1  # recurring windows start on this weekday (Monday 0) at ``hour``
    hour: int = 22
    site_keys: tuple[str, ...] = ()  # empty: all the client's sites
    outage_inside: bool = False  # the site goes down during this window (no incident opens)


@dataclass(frozen=True)
class ClientSpec:
    key: str
    name: str
    plan: str
    contacts: tuple[tuple[str, str, bool], ...]  # name, email, receives incident notices
    sites: tuple[SiteSpec, ...]
    windows: tuple[WindowSpec, ...] = ()
    cms: str = "WordPress"
    plugins: tuple[str, ...] = field(default=())


CLIENTS = (
    ClientSpec(
        key="boulangerie-martin",
        name="Boulangerie Martin",
        plan="basic",
        contacts=(("Claire Martin", "claire.martin@boulangerie-martin.example", True),),
        sites=(
            SiteSpec(
                key="www",
                name="Site vitrine",
                url="https://www.boulangerie-martin.example/",
                median_ms=420,
                spread=0.30,
                monitors=(MonitorSpec("home", "", 4),),
            ),
        ),
        plugins=("Yoast SEO", "Contact Form 7", "WP Rocket"),
    ),
    ClientSpec(
        key="cabinet-durand",
        name="Cabinet Durand Avocats",
        plan="standard",
        contacts=(
            ("Secrétariat", "secretariat@cabinet-durand.example", False),
            ("Paul Durand", "paul.durand@cabinet-durand.example", True),
        ),
        sites=(
            SiteSpec(
                key="www",
                name="Site du cabinet",
                url="https://www.cabinet-durand.example/",
                median_ms=310,
                spread=0.25,
                monitors=(MonitorSpec("home", "", 3),),
            ),
            SiteSpec(
                key="rendez-vous",
                name="Prise de rendez-vous",
                url="https://rdv.cabinet-durand.example/",
                median_ms=650,
                spread=0.40,
                monitors=(MonitorSpec("booking", "api/health", 5),),
                apdex_threshold_ms=800,
            ),
        ),
        windows=(
            WindowSpec(
                key="migration-php",
                title="Migration vers PHP 8.3",
                duration_minutes=60,
                hour=6,
                site_keys=("www",),
                outage_inside=True,
            ),
        ),
        plugins=("Elementor", "WPForms", "UpdraftPlus"),
    ),
    ClientSpec(
        key="maison-rousseau",
        name="Maison Rousseau Vins",
        plan="premium",
        contacts=(("Équipe technique", "ops@maison-rousseau.example", True),),
        sites=(
            SiteSpec(
                key="boutique",
                name="Boutique en ligne",
                url="https://boutique.maison-rousseau.example/",
                median_ms=280,
                spread=0.30,
                monitors=(MonitorSpec("home", "", 2), MonitorSpec("panier", "panier", 3)),
                apdex_threshold_ms=400,
            ),
        ),
        windows=(
            WindowSpec(
                key="hebdomadaire",
                title="Maintenance hebdomadaire",
                duration_minutes=90,
                rrule="FREQ=WEEKLY;BYDAY=TU",
                weekday=1,
                hour=22,
            ),
        ),
        cms="PrestaShop",
        plugins=("Stripe", "Colissimo", "PayPal Checkout"),
    ),
)
