"""Registrable domains from websites and emails (public-suffix aware) and free-mail checks."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

import idna
from publicsuffixlist import PublicSuffixList

from leadsync.mapping.normalize._text import clean_text
from leadsync.mapping.normalize.email import normalize_email

# Mailbox providers whose domain says nothing about the person's employer.
_FREE_MAIL_TEXT = """
    gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.co.jp yahoo.fr yahoo.de yahoo.es
    yahoo.it yahoo.ca yahoo.com.au yahoo.co.in yahoo.com.br ymail.com rocketmail.com
    hotmail.com hotmail.co.uk hotmail.fr hotmail.de hotmail.it hotmail.es outlook.com
    outlook.de outlook.fr live.com live.co.uk live.fr live.de msn.com aol.com aim.com
    icloud.com me.com mac.com gmx.de gmx.net gmx.com gmx.at gmx.ch web.de t-online.de
    freenet.de mail.ru yandex.ru yandex.com rambler.ru protonmail.com protonmail.ch
    proton.me pm.me tutanota.com fastmail.com hey.com zoho.com mail.com inbox.com qq.com
    163.com 126.com yeah.net sina.com naver.com daum.net hanmail.net orange.fr free.fr
    laposte.net wanadoo.fr sfr.fr libero.it virgilio.it seznam.cz wp.pl o2.pl interia.pl
    onet.pl rediffmail.com btinternet.com sky.com virginmedia.com comcast.net verizon.net
    att.net sbcglobal.net bellsouth.net cox.net charter.net bigpond.com optusnet.com.au
    shaw.ca rogers.com sympatico.ca uol.com.br bol.com.br terra.com.br
"""
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(_FREE_MAIL_TEXT.split())


_PLAIN_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # Built from the list bundled with the package: no network access.
    return PublicSuffixList()


@lru_cache(maxsize=65536)
def registrable_domain(host: str | None) -> str | None:
    """Return the registrable domain (public suffix plus one label) of a host name.

    Args:
        host: e.g. ``"www.shop.example.co.uk"`` or ``"xn--mnchen-3ya.de"``.

    Returns:
        e.g. ``"example.co.uk"``, in lower-case Unicode; None for IPs, bare suffixes or junk.
    """
    text = clean_text(host)
    if text is None or len(text) > 253 or " " in text:
        return None
    text = text.rstrip(".").lower()
    # A plain host name ends in a label starting with a letter and has no colon, so it is
    # never an IP address: only the others pay for the (exception-raising) IP check.
    plain = _PLAIN_HOST.fullmatch(text) is not None
    if not plain:
        try:
            ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            pass
        else:
            return None
    if plain and "--" not in text:
        # Plain lower-case ASCII is its own IDNA form both ways: skip the slow codec.
        return _psl().privatesuffix(text)
    try:
        ascii_host = idna.encode(text, uts46=True).decode("ascii")
        found = _psl().privatesuffix(ascii_host)
        return idna.decode(found) if found else None
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


@lru_cache(maxsize=65536)
def domain_from_website(raw: str | None) -> str | None:
    """Return the registrable domain of a website URL or bare host.

    Args:
        raw: e.g. ``"https://www.Example.co.uk/about?x=1"``, ``"example.com"``.

    Returns:
        ``"example.co.uk"``, or None when there is no usable host.
    """
    text = clean_text(raw)
    if text is None or len(text) > 2048:
        return None
    if text.isascii() and _PLAIN_HOST.fullmatch(bare := text.lower()):
        # A bare host name (most CRM website values): the URL parser would give it back
        # lower-cased, as its hostname.
        return registrable_domain(bare)
    if "://" not in text:
        text = "http://" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return registrable_domain(host)


def domain_from_email(email: str | None) -> str | None:
    """Return the registrable domain of an email address.

    Args:
        email: e.g. ``"ann@mail.example.co.uk"``.

    Returns:
        ``"example.co.uk"``, or None when the address is unusable.
    """
    normalized = normalize_email(email)
    if normalized is None:
        return None
    return registrable_domain(normalized.rpartition("@")[2])


def is_free_mail(domain: str | None) -> bool:
    """Return True when ``domain`` (or an address at it) belongs to a free-mail provider.

    Args:
        domain: A domain such as ``"gmail.com"``, or a whole email address.

    Returns:
        Whether the domain is a known free-mail domain.
    """
    text = clean_text(domain)
    if text is None:
        return False
    host = text.rpartition("@")[2].rstrip(".").lower()
    return host in FREE_MAIL_DOMAINS or registrable_domain(host) in FREE_MAIL_DOMAINS
