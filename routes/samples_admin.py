"""The gallery's states of the operator pages' partials: the accounts list and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routes.samples import Sample, SampleUser
from sql.audit import Entry
from sql.operators import Row

NOW = datetime(2030, 5, 17, 9, 30, tzinfo=UTC)


def admin_samples(user: SampleUser) -> list[Sample]:
    rows = [
        Row(43, "grace.hopper@example.com", "calm-heron-118204-teal", True, True, False, NOW, "43"),
        Row(42, user.email, user.nickname, True, True, True, NOW - timedelta(days=2), "42"),
        Row(41, "new@example.com", "shy-lynx-550913-amber", False, False, False, NOW, "41"),
    ]
    entries = [
        Entry(9, NOW, user.email, "disable", 41, "new@example.com", "203.0.113.7"),
        Entry(8, NOW - timedelta(hours=1), "command line (root)", "grant", 42, user.email, None),
    ]
    return [
        Sample(
            "partials/admin/accounts.html",
            "newest first, more",
            {"q": "", "rows": rows, "later": "?before=41"},
        ),
        Sample(
            "partials/admin/accounts.html", "nothing found", {"q": "zzz", "rows": [], "later": ""}
        ),
        Sample("partials/admin/audit.html", "entries", {"q": "", "entries": entries, "later": ""}),
        Sample(
            "partials/admin/audit.html", "nothing found", {"q": "x", "entries": [], "later": ""}
        ),
    ]
