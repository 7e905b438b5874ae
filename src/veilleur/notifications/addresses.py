"""The agency's mail identity: its sender address and the domain of its Message-IDs."""

from __future__ import annotations

import ipaddress
import uuid
from email.utils import formataddr
from urllib.parse import urlsplit

from veilleur.accounts.models import Agency
from veilleur.domain.validators import one_line

SENDER_LOCAL_PART = "veilleur"


def mail_domain(agency: Agency) -> str:
    """The host of the agency's public address; ``localhost`` when there is none or it is a bare
    IP address (``veilleur@127.0.0.1`` is not an address a mail server accepts)."""
    host = urlsplit(agency.base_url).hostname or ""
    if not host or _is_ip_address(host):
        return "localhost"
    return host


def sender_address(agency: Agency) -> str:
    """The envelope sender: the agency's own setting, else ``veilleur@<its host>``."""
    return agency.sender_email or f"{SENDER_LOCAL_PART}@{mail_domain(agency)}"


def from_header(agency: Agency) -> str:
    """``Agency name <sender>``: recipients see who monitors the site, not a bare address."""
    return formataddr((one_line(agency.name), sender_address(agency)))


def new_message_id(agency: Agency) -> str:
    """A Message-ID fixed when the row is enqueued: if a crash makes a message go out twice, both
    copies carry it, and mail clients show one. Its domain is the sender's, as spam filters expect."""
    domain = sender_address(agency).rpartition("@")[2] or mail_domain(agency)
    return f"<outbox-{uuid.uuid4().hex}@{domain}>"


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
