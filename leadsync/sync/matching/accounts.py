"""Lead-to-account matching: which known company a lead works for, so routing can use its owner.

Order of evidence: the lead's business email domain, then its website domain, then the exact
company key (legal suffixes stripped), then a fuzzy company-name match. Free-mail domains
never point at an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Indel
from rapidfuzz.fuzz import token_sort_ratio

from leadsync.mapping.model import Account, Lead
from leadsync.mapping.normalize import (
    company_key,
    domain_from_email,
    domain_from_website,
    is_free_mail,
)

AccountReason = Literal["email_domain", "website_domain", "company_exact", "company_fuzzy"]


@dataclass(frozen=True, slots=True)
class AccountMatch:
    """The account a lead belongs to.

    Attributes:
        key: The caller's key of the account.
        score: Similarity in ``[0, 1]`` (1.0 for domain and exact-name matches).
        reason: Which evidence decided.
    """

    key: str
    score: float
    reason: AccountReason


class AccountIndex:
    """In-memory index of accounts by domain, company key and company-name tokens.

    Args:
        fuzzy_threshold: Minimum name similarity (0–100) for a fuzzy company match.
        max_token_block: Name tokens shared by more accounts than this ("group",
            "holdings") are not used to find fuzzy candidates.
    """

    def __init__(self, *, fuzzy_threshold: float = 90.0, max_token_block: int = 200) -> None:
        self.fuzzy_threshold = fuzzy_threshold
        self.max_token_block = max_token_block
        self._by_domain: dict[str, list[str]] = {}
        self._by_company: dict[str, list[str]] = {}
        self._by_token: dict[str, list[str]] = {}
        self._entries: dict[str, tuple[str | None, str | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: str, account: Account) -> None:
        """Index ``account`` under ``key`` (replacing what ``key`` held); deleted ones are not."""
        self.remove(key)
        if account.deleted:
            return
        domain = domain_from_website(account.domain) if account.domain else None
        name = company_key(account.name) if account.name else None
        self._entries[key] = (domain, name)
        if domain:
            self._by_domain.setdefault(domain, []).append(key)
        if name:
            self._by_company.setdefault(name, []).append(key)
            for token in _tokens(name):
                self._by_token.setdefault(token, []).append(key)

    def remove(self, key: str) -> bool:
        """Forget ``key``; return whether it was indexed."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        domain, name = entry
        if domain:
            _discard(self._by_domain, domain, key)
        if name:
            _discard(self._by_company, name, key)
            for token in _tokens(name):
                _discard(self._by_token, token, key)
        return True

    def match_lead(self, lead: Lead) -> AccountMatch | None:
        """Return the account ``lead`` belongs to, or None when nothing fits.

        Args:
            lead: The lead to route.

        Returns:
            The best account match, or None.
        """
        name = company_key(lead.company) if lead.company else None
        mail_domain = domain_from_email(lead.email) if lead.email else None
        if mail_domain and not is_free_mail(mail_domain) and mail_domain in self._by_domain:
            return AccountMatch(self._pick(self._by_domain[mail_domain], name), 1.0, "email_domain")
        site = domain_from_website(lead.website_domain) if lead.website_domain else None
        if site and site in self._by_domain:
            return AccountMatch(self._pick(self._by_domain[site], name), 1.0, "website_domain")
        if not name:
            return None
        if name in self._by_company:
            return AccountMatch(self._by_company[name][0], 1.0, "company_exact")
        return self._fuzzy(name)

    def _pick(self, keys: list[str], name: str | None) -> str:
        # Several accounts on one domain (subsidiaries, duplicates): prefer the same name.
        for key in keys:
            if name and self._entries[key][1] == name:
                return key
        return keys[0]

    def _fuzzy(self, name: str) -> AccountMatch | None:
        seen: set[str] = set()
        best: tuple[float, str] | None = None
        for token in _tokens(name):
            keys = self._by_token.get(token, ())
            if len(keys) > self.max_token_block:
                continue
            for key in keys:
                if key in seen:
                    continue
                seen.add(key)
                other = self._entries[key][1] or ""
                score = max(
                    Indel.normalized_similarity(name, other) * 100,
                    token_sort_ratio(name, other),
                )
                if score >= self.fuzzy_threshold and (best is None or score > best[0]):
                    best = (score, key)
        return AccountMatch(best[1], best[0] / 100, "company_fuzzy") if best else None


def _tokens(name: str) -> list[str]:
    words = name.split()
    tokens = [t for t in words if len(t) >= 3] or words[:1]
    # The first word's opening letters also find a one-word name with a typo further on.
    if words and len(words[0]) > 3:
        tokens.append(words[0][:3] + "*")
    return list(dict.fromkeys(tokens))


def _discard(table: dict[str, list[str]], value: str, key: str) -> None:
    keys = table.get(value)
    if keys and key in keys:
        keys.remove(key)
        if not keys:
            del table[value]
