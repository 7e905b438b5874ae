"""How often a status page's public forms may be tried (docs/security.md, "Brute force").

Wrong passwords are counted per client address and per page; a right password does not count.
Every subscription request counts, per client address and per page: each one may send a mail.
The per-page limits are wider, and stop a guess or a mail flood spread over many addresses.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest

from veilleur.statuspages.models import StatusPage
from veilleur.throttling.addresses import client_address
from veilleur.throttling.limits import Limit, Refused, Reservation, reserve

UNLOCK_PER_ADDRESS = Limit("page-unlock:address", attempts=10, window=timedelta(minutes=15))
UNLOCK_PER_PAGE = Limit("page-unlock:page", attempts=50, window=timedelta(minutes=15))
SUBSCRIBE_PER_ADDRESS = Limit("page-subscribe:address", attempts=10, window=timedelta(hours=1))
SUBSCRIBE_PER_PAGE = Limit("page-subscribe:page", attempts=100, window=timedelta(hours=1))


def unlock_attempt(request: HttpRequest, page: StatusPage) -> Reservation | Refused:
    return reserve([(UNLOCK_PER_ADDRESS, client_address(request)), (UNLOCK_PER_PAGE, str(page.pk))])


def subscribe_attempt(request: HttpRequest, page: StatusPage) -> Reservation | Refused:
    return reserve([(SUBSCRIBE_PER_ADDRESS, client_address(request)), (SUBSCRIBE_PER_PAGE, str(page.pk))])
