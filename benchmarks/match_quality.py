"""Match quality and speed of leadsync's matcher on generated, labelled lead-shaped data.

Builds an index of N existing people, then matches incoming records: corrupted duplicates of
indexed people (typos, case, nicknames, swapped names, missing fields, phone formats,
plus-addressing, Gmail dots, company suffixes, changed email) and genuinely new people (who
often share a name, a company or its domain with someone indexed). Prints pairwise
precision/recall/F1 beside two baselines measured on the same data (exact normalised email;
exact email-or-phone), plus speed and memory.

    .venv/bin/python benchmarks/match_quality.py              # 10k and 100k
    .venv/bin/python benchmarks/match_quality.py --sizes 1000000
    .venv/bin/python benchmarks/match_quality.py --quick      # 10k only, 2k incoming
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import string
import time
from dataclasses import dataclass

from faker import Faker

from leadsync.mapping.model import Lead
from leadsync.mapping.normalize import normalize_email, phone_e164
from leadsync.sync.matching import MatchIndex, MatchSettings
from leadsync.sync.matching.nicknames import _TABLE as NICKNAMES

FREE = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com")
SUFFIXES = ("Inc", "Inc.", "LLC", "Ltd", "Corp", "Corporation", "Group", "Co", "Incorporated")
COUNTRIES = ("US",) * 18 + ("GB", "CA")
AREA = ("212", "310", "415", "617", "303", "512", "206", "404", "305", "702", "773", "646")


@dataclass(slots=True)
class Person:
    first: str
    last: str
    email: str | None
    phone: str | None
    company: str | None
    website: str | None
    city: str | None
    postal: str | None
    country: str


class Pools:
    """Value pools drawn once from Faker (seeded): per-record Faker calls are far too slow."""

    def __init__(self, seed: int, n_companies: int) -> None:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.first = [n.lower() for n in dict.fromkeys(fake.first_name() for _ in range(6000))]
        self.last = [n.lower() for n in dict.fromkeys(fake.last_name() for _ in range(6000))]
        self.cities = [(fake.city(), fake.postcode()) for _ in range(3000)]
        self.nick = {formal: nicks for formal, nicks in NICKNAMES.items()}
        self.companies = self._companies(fake, n_companies)

    def _companies(self, fake: Faker, n: int) -> list[tuple[str, str, str]]:
        out, seen = [], set()
        while len(out) < n:
            base = fake.last_name() if self.rng.random() < 0.6 else fake.word().title()
            name = f"{base} {self.rng.choice(('Labs', 'Systems', 'Partners', 'Media', ''))}"
            domain = "".join(ch for ch in name.lower() if ch.isalpha()) + ".com"
            if domain in seen:
                name, domain = f"{name} {len(out)}", f"{domain[:-4]}{len(out)}.com"
            seen.add(domain)
            phone = "+1" + self.rng.choice(AREA) + str(self.rng.randrange(2000000, 9999999))
            out.append((name.strip(), domain, phone))
        return out


def _title(s: str) -> str:
    return s[:1].upper() + s[1:]


def make_person(pools: Pools, used: set[str]) -> Person:
    rng = pools.rng
    # Zipf-ish company sizes: a few big employers share one domain among many people.
    company = pools.companies[int(len(pools.companies) * rng.random() ** 3)]
    first, last = rng.choice(pools.first), rng.choice(pools.last)
    if rng.random() < 0.15 and pools.nick:  # give the nickname table formal names to work on
        first = rng.choice(list(pools.nick))
    works = rng.random() < 0.85
    email = None
    for attempt in range(5):
        if works and rng.random() < 0.6:
            local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[0]}"))
            email = f"{local}{attempt or ''}@{company[1]}"
        else:
            local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}"))
            email = f"{local}{rng.randrange(1, 999)}@{rng.choice(FREE)}"
        if email not in used:
            break
    used.add(email or "")
    if rng.random() < 0.08:
        phone = company[2]  # the switchboard: shared by everyone who gives it
    else:
        phone = "+1" + rng.choice(AREA) + str(rng.randrange(2000000, 9999999))
    city, postal = rng.choice(pools.cities)
    return Person(
        first=_title(first),
        last=_title(last),
        email=email,
        phone=phone if rng.random() < 0.85 else None,
        company=company[0] if works else None,
        website=company[1] if works else None,
        city=city if rng.random() < 0.7 else None,
        postal=postal if rng.random() < 0.6 else None,
        country=rng.choice(COUNTRIES),
    )


def typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.randrange(4)
    if op == 0:
        return s[:i] + s[i + 1 :]
    if op == 1:
        return s[:i] + rng.choice(string.ascii_lowercase) + s[i:]
    if op == 2:
        return s[:i] + rng.choice(string.ascii_lowercase) + s[i + 1 :]
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]


def _email_variant(rng: random.Random, p: Person, pools: Pools) -> str | None:
    email = p.email or ""
    r = rng.random()
    local, _, domain = email.partition("@")
    if r < 0.45:
        return email
    if r < 0.55:
        return email.upper() if rng.random() < 0.5 else _title(email)
    if r < 0.65:
        return f"{local}+{rng.choice(('news', 'crm', 'x'))}@{domain}"
    if r < 0.70 and domain == "gmail.com":
        return local.replace(".", "") + "@googlemail.com"
    if r < 0.75:
        return f"{typo(rng, local)}@{domain}"
    if r < 0.88:
        fresh = f"{p.first.lower()}{rng.randrange(10, 9999)}@{rng.choice(FREE)}"
        return fresh  # a personal address this time
    return None


def _phone_variant(rng: random.Random, phone: str | None) -> str | None:
    if phone is None or rng.random() < 0.15:
        return None
    d = phone[2:]
    fmt = rng.randrange(6)
    if fmt == 5:
        return "+1" + rng.choice(AREA) + str(rng.randrange(2000000, 9999999))  # new number
    return (
        phone,
        f"({d[:3]}) {d[3:6]}-{d[6:]}",
        f"{d[:3]}.{d[3:6]}.{d[6:]}",
        f"+1 {d[:3]} {d[3:6]} {d[6:]}",
        f"1-{d[:3]}-{d[3:6]}-{d[6:]}",
    )[fmt]


def _first_variant(rng: random.Random, first: str, pools: Pools) -> str:
    r = rng.random()
    low = first.lower()
    if r < 0.25 and low in pools.nick:
        return _title(rng.choice(pools.nick[low]))
    if r < 0.33:
        return _title(typo(rng, low))
    if r < 0.40:
        return first.upper()
    return first


def corrupt(pools: Pools, p: Person) -> Lead:
    rng = pools.rng
    first = _first_variant(rng, p.first, pools)
    last = _title(typo(rng, p.last.lower())) if rng.random() < 0.1 else p.last
    if rng.random() < 0.04:
        first, last = last, first
    company = p.company
    if company and rng.random() < 0.35:
        company = f"{company}, {rng.choice(SUFFIXES)}"
    if company and rng.random() < 0.2:
        company = None
    return Lead.model_construct(
        email=_email_variant(rng, p, pools),
        phone=_phone_variant(rng, p.phone),
        first_name=first if rng.random() > 0.03 else None,
        last_name=last,
        company=company,
        website_domain=p.website if rng.random() < 0.3 else None,
        city=p.city if rng.random() < 0.6 else None,
        postal_code=p.postal if rng.random() < 0.5 else None,
        country=p.country,
    )


def to_lead(p: Person) -> Lead:
    return Lead.model_construct(
        email=p.email,
        phone=p.phone,
        first_name=p.first,
        last_name=p.last,
        company=p.company,
        website_domain=p.website,
        city=p.city,
        postal_code=p.postal,
        country=p.country,
    )


@dataclass(slots=True)
class Dataset:
    existing: list[Person]
    incoming: list[Lead]
    truth: list[str | None]  # the indexed key each incoming record really is, or None


def generate(n: int, n_incoming: int, seed: int) -> Dataset:
    pools = Pools(seed, max(50, n // 12))
    used: set[str] = set()
    existing = [make_person(pools, used) for _ in range(n)]
    incoming: list[Lead] = []
    truth: list[str | None] = []
    dup_ids = pools.rng.sample(range(n), int(n_incoming * 0.7))
    for i in dup_ids:
        incoming.append(corrupt(pools, existing[i]))
        truth.append(f"golden:{i}")
    while len(incoming) < n_incoming:
        incoming.append(to_lead(make_person(pools, used)))
        truth.append(None)
    order = list(range(n_incoming))
    pools.rng.shuffle(order)
    return Dataset(existing, [incoming[i] for i in order], [truth[i] for i in order])


def _email_key(raw: str | None) -> str | None:
    email = normalize_email(raw)
    return email.lower() if email else None


def baseline(data: Dataset, use_phone: bool) -> list[str | None]:
    by_email: dict[str, str] = {}
    by_phone: dict[str, str] = {}
    for i, p in enumerate(data.existing):
        key = f"golden:{i}"
        if (e := _email_key(p.email)) is not None:
            by_email.setdefault(e, key)
        if use_phone and p.phone:
            by_phone.setdefault(p.phone, key)
    out: list[str | None] = []
    for lead in data.incoming:
        hit = by_email.get(_email_key(lead.email) or "")
        if hit is None and use_phone and lead.phone:
            hit = by_phone.get(phone_e164(lead.phone, lead.country or "US") or "")
        out.append(hit)
    return out


def scores(pred: list[str | None], truth: list[str | None]) -> tuple[float, float, float]:
    tp = sum(1 for p, t in zip(pred, truth, strict=True) if p is not None and p == t)
    fp = sum(1 for p, t in zip(pred, truth, strict=True) if p is not None and p != t)
    positives = sum(1 for t in truth if t is not None)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def recall_at_precision(
    ranked: list[tuple[float, str | None, str | None]], target: float, positives: int
) -> float:
    """Best recall reachable by a probability threshold while precision stays >= target."""
    tp = fp = 0
    best = 0.0
    for _, pred, true in sorted(ranked, key=lambda t: -t[0]):
        if pred is None:
            continue
        if pred == true:
            tp += 1
        else:
            fp += 1
        if tp / (tp + fp) >= target:
            best = max(best, tp / positives)
    return best


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def run(n: int, n_incoming: int, seed: int, settings: MatchSettings) -> None:
    t0 = time.perf_counter()
    data = generate(n, n_incoming, seed)
    gen_s = time.perf_counter() - t0
    gc.collect()
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    index = MatchIndex(settings)
    for i, p in enumerate(data.existing):
        index.add(f"golden:{i}", to_lead(p))
    build_s = time.perf_counter() - t0
    gc.collect()
    gc.freeze()  # the index is long-lived: keep the cyclic collector from rescanning it
    index_mb = _rss_mb() - rss0

    pred: list[str | None] = []
    ranked: list[tuple[float, str | None, str | None]] = []
    latencies: list[float] = []
    reviews = 0
    t_all, cpu_all = time.perf_counter(), time.process_time()
    for lead, true in zip(data.incoming, data.truth, strict=True):
        t1 = time.perf_counter()
        result = index.match(lead)
        latencies.append(time.perf_counter() - t1)
        pred.append(result.best.key if result.decision == "match" and result.best else None)
        reviews += result.decision == "review"
        if result.best is not None:
            ranked.append((result.best.probability, result.best.key, true))
    match_s, match_cpu = time.perf_counter() - t_all, time.process_time() - cpu_all

    positives = sum(1 for t in data.truth if t is not None)
    rows: list[tuple[str, tuple[float, float, float]]] = [
        ("leadsync matcher", scores(pred, data.truth)),
        ("exact email", scores(baseline(data, False), data.truth)),
        ("exact email-or-phone", scores(baseline(data, True), data.truth)),
    ]
    eop_precision = rows[2][1][0]
    print(f"\n== index {n:,} records, {n_incoming:,} incoming ({positives:,} true duplicates)")
    print(f"{'method':24} {'precision':>10} {'recall':>8} {'F1':>8}")
    for name, (p, r, f) in rows:
        print(f"{name:24} {p:10.4f} {r:8.4f} {f:8.4f}")
    at_eq = recall_at_precision(ranked, eop_precision, positives)
    print(
        f"matcher recall at email-or-phone precision ({eop_precision:.4f}): {at_eq:.4f} "
        f"(+{100 * (at_eq - rows[2][1][1]):.1f} points); sent to review: {reviews:,}"
    )
    latencies.sort()
    p50 = statistics.median(latencies) * 1e3
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1e3
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"generate {gen_s:.1f} s | index build {build_s:.1f} s "
        f"({n / build_s:,.0f} records/s) | index memory ~{index_mb:,.0f} MB | "
        f"giant blocks skipped {index.giant_blocks:,}"
    )
    print(
        f"match {n_incoming:,} incoming: {match_s:.2f} s wall ({match_cpu:.2f} s CPU) | "
        f"single lead p50 {p50:.2f} ms, p99 {p99:.2f} ms | peak RSS {peak:,.0f} MB"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="index sizes, comma separated")
    parser.add_argument("--incoming", type=int, default=10000, help="incoming records per size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10k index, 2k incoming")
    parser.add_argument(
        "--max-block-size", type=int, default=None, help="MatchSettings.max_block_size"
    )
    args = parser.parse_args(argv)
    overrides = {"max_block_size": args.max_block_size} if args.max_block_size else {}
    settings = MatchSettings.model_validate(overrides)
    sizes = [10000] if args.quick else [int(s) for s in args.sizes.split(",")]
    incoming = 2000 if args.quick else args.incoming
    for n in sizes:
        run(n, min(incoming, n), args.seed, settings)


if __name__ == "__main__":
    main()
