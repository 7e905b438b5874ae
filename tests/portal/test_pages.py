"""What the portal's pages do with the client's own data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.portal.conftest import World, signed_in
from veilleur.clients.models import Contact


@pytest.mark.django_db
def test_notification_choices_are_saved_for_the_clients_own_contacts_only(world: World) -> None:
    mine = Contact.objects.get(client=world.clients[0].client)
    theirs = Contact.objects.get(client=world.clients[1].client)
    browser = signed_in(world.user_a)
    fields = {
        f"receives_incident_notices_{mine.pk}": "on",
        f"receives_maintenance_notices_{mine.pk}": "on",
        # Another client's contact, named in the form by hand: ignored.
        f"receives_incident_notices_{theirs.pk}": "on",
    }
    response = browser.post(reverse("portal-notifications"), fields)
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.receives_incident_notices, mine.receives_reports, mine.receives_maintenance_notices) == (
        True,
        False,
        True,
    )
    assert (theirs.receives_incident_notices, theirs.receives_reports) == (False, True)
    page = browser.get(response["Location"]).content.decode()
    assert mine.email in page and theirs.email not in page
