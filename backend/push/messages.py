"""What a notification says, in the recipient's language. Never a name, initials, year of
birth or municipality: the offer's name, a status, a count and a link are all it carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.i18n import N_, ntranslate, translate
from backend.referrals.states import OUTCOME_LABELS, STATUS_LABELS, Status
from backend.urls import path_for


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str


def render(
    kind: str, params: dict[str, Any], referral_id: str | None, locale: str, count: int = 1
) -> Message:
    offer = params.get(f"offer_{locale}") or params.get("offer_de", "")
    if kind == "new_referral":
        if count > 1:
            body = ntranslate(locale, "%(num)s new referral", "%(num)s new referrals", count)
            return Message(translate(locale, N_("New referrals")), body, path_for("inbox.list"))
        body = translate(locale, N_("New referral for %(offer)s"), offer=offer)
        case = path_for("inbox.case", referral_id=referral_id)
        return Message(translate(locale, N_("New referral")), body, case)
    if kind == "status":
        status = translate(locale, STATUS_LABELS[Status(params["status"])])
        if params.get("outcome") in OUTCOME_LABELS:
            status = f"{status}: {translate(locale, OUTCOME_LABELS[params['outcome']])}"
        body = translate(locale, N_("Your referral to %(offer)s: %(status)s"), offer=offer, status=status)
        referral = path_for("referrals.show", referral_id=referral_id)
        return Message(translate(locale, N_("Referral update")), body, referral)
    if kind == "cancelled":
        body = translate(locale, N_("The referral to %(offer)s was withdrawn."), offer=offer)
        case = path_for("inbox.case", referral_id=referral_id)
        return Message(translate(locale, N_("Referral withdrawn")), body, case)
    if kind == "overdue":
        num = int(params.get("count", 1))
        body = ntranslate(locale, "%(num)s referral is overdue", "%(num)s referrals are overdue", num)
        overdue = path_for("inbox.list") + "?tab=overdue"
        return Message(translate(locale, N_("Overdue referrals")), body, overdue)
    return Message(
        translate(locale, N_("Test notification")),
        translate(locale, N_("Notifications work on this device.")),
        path_for("push.settings"),
    )
