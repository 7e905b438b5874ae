"""What the agency writes into a report before it is published, and which sections it hides.

A report (monthly or quarterly) is generated from the evidence, then reviewed by the agency: an
introduction, a closing note, next steps, and sections left out. That text belongs to the agency:
regenerating a report keeps it. Renderers take an :class:`EditorialText`; the report row stores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

# Sections an agency may hide. The headline figures and "how these figures are counted" are not
# optional: a report without them would state figures no reader can check.
HIDEABLE_SECTIONS = {
    "deliverables": _("What the plan did"),
    "guarantee": _("Uptime guarantee"),
    "incidents": _("Incidents"),
    "maintenance": _("Maintenance windows and work done"),
    "performance": _("Performance"),
    "certificates": _("Certificates and domains"),
    "software": _("Software versions"),
    "trends": _("Trends"),
    "patterns": _("Incident patterns"),
    "recommendations": _("Recommendations"),
}


@dataclass(frozen=True)
class EditorialText:
    intro: str = ""
    closing_note: str = ""
    next_steps: str = ""
    hidden_sections: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.hidden_sections) - set(HIDEABLE_SECTIONS)
        if unknown:
            raise ValueError(f"unknown report sections: {', '.join(sorted(unknown))}")

    def shows(self, section: str) -> bool:
        return section not in self.hidden_sections

    @property
    def is_empty(self) -> bool:
        return not (self.intro or self.closing_note or self.next_steps or self.hidden_sections)


NO_EDITORIAL_TEXT = EditorialText()
