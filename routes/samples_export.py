"""The gallery's states of the "Your data" part of the profile: the export's download form."""

from __future__ import annotations

from routes.samples import Sample, SampleUser


def export_samples(user: SampleUser) -> list[Sample]:
    unconfirmed = SampleUser(confirmed=False)
    return [
        Sample("partials/profile/export.html", "confirmed", {"user": user}),
        Sample("partials/profile/export.html", "not confirmed yet", {"user": unconfirmed}),
    ]
