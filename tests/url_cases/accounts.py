"""URL access cases of account administration (see tests/test_url_access.py).

Whoever may give roles (a street or district admin, a community secretary) opens the staff
accounts; an account exists for them only if it holds a grant inside their area. The world's
``outsider`` is community B's secretary: community A's staff are not theirs (404).
"""

from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.url_access_base import EVERYONE, Case, only

GIVERS = ("admin", "secretary", "outsider")
IN_A = ("admin", "secretary")


def _givers(yes: int, roles: tuple[str, ...] = GIVERS) -> dict[str, int]:
    return {**only(roles, yes), "district": yes, "superuser": yes}


def _staff(world) -> str:
    return reverse("accounts:user_detail", args=[world.users.staff.pk])


def _grant_of_staff(world) -> int:
    return world.users.staff.grants.get().pk


def _fresh_link(world) -> str:
    from dangjian.accounts.services import sign_in_links
    from tests.factories import make_user

    user = make_user("newcomer")
    user.set_unusable_password()
    user.save()
    return reverse(
        "accounts:welcome", args=[urlsafe_base64_encode(force_bytes(user.pk)), sign_in_links.make_token(user)]
    )


CASES: list[Case] = [
    Case("accounts:users", "the staff accounts of one's area", lambda w: reverse("accounts:users"), _givers(200)),
    Case("accounts:user_new", "the new-account form", lambda w: reverse("accounts:user_new"), _givers(200)),
    Case(
        "accounts:user_new",
        "create an account with a staff role at community A",
        lambda w: reverse("accounts:user_new"),
        {**_givers(302, IN_A), "outsider": 200},  # B's secretary: the node is not offered (form error)
        method="post",
        data=lambda w: {
            "display_name": "周八",
            "username": "zhouba",
            "role": "community_staff",
            "node": f"region:{w.community_a.pk}",
            "starts_on": "2026-01-01",
            "reason": "社区招聘",
        },
    ),
    Case("accounts:user_detail", "community A's staff member", _staff, _givers(200, IN_A)),
    Case(
        "accounts:user_detail",
        "the street admin's account: above a community secretary",
        lambda w: reverse("accounts:user_detail", args=[w.users.admin.pk]),
        {**only(("admin",), 200), "district": 200, "superuser": 200},
    ),
    Case(
        "accounts:user_detail",
        "give community A's staff member a branch secretary role",
        _staff,
        _givers(302, IN_A),
        method="post",
        data=lambda w: {
            "action": "grant",
            "grant-role": "branch_secretary",
            "grant-node": f"organization:{w.branch_a1.pk}",
            "grant-starts_on": "2026-01-01",
            "grant-reason": "支部换届",
        },
    ),
    Case(
        "accounts:user_detail",
        "end the staff member's role",
        _staff,
        _givers(302, IN_A),
        method="post",
        data=lambda w: {
            "action": "end",
            "grant": _grant_of_staff(w),
            f"end{_grant_of_staff(w)}-ends_on": w.today.isoformat(),
            f"end{_grant_of_staff(w)}-reason": "调离",
        },
    ),
    Case(
        "accounts:user_detail",
        "issue a new sign-in link",
        _staff,
        _givers(302, IN_A),
        method="post",
        data=lambda w: {"action": "link"},
    ),
    Case(
        "accounts:user_detail",
        "deactivate the account",
        _staff,
        _givers(302, IN_A),
        method="post",
        data=lambda w: {"action": "deactivate", "active-reason": "离职"},
    ),
    Case(
        "accounts:welcome",
        "a one-time link that is no good",
        lambda w: reverse("accounts:welcome", args=["MQ", "bad-token"]),
        {**only(EVERYONE, 410, anonymous=410), "district": 410, "superuser": 410},
    ),
    Case(
        "accounts:welcome",
        "a good one-time link: anyone holding it may choose the password",
        _fresh_link,
        {**only(EVERYONE, 200, anonymous=200), "district": 200, "superuser": 200},
    ),
]

CASES += [
    Case("accounts:audit", "the audit log of one's area", lambda w: reverse("accounts:audit"), _givers(200)),
    Case(
        "accounts:audit",
        "the audit log, hostile filters",
        lambda w: reverse("accounts:audit") + "?target_type=abc&since=2026-13-45&action=drop&page=-3",
        _givers(200),
    ),
    Case(
        "accounts:audit_export",
        "export the audit log (the job page follows)",
        lambda w: reverse("accounts:audit_export"),
        _givers(302),
        method="post",
        data=lambda w: {"query": "sensitive=on"},
    ),
]

CASES += [
    Case(
        "accounts:settings",
        "the configuration: the platform admin only (district admin at the root, superuser)",
        lambda w: reverse("accounts:settings"),
        {**only((), 200), "district": 200, "superuser": 200},
    ),
    Case(
        "accounts:settings",
        "changing the configuration",
        lambda w: reverse("accounts:settings"),
        {**only((), 200), "district": 302, "superuser": 302},
        method="post",
        data=lambda w: {"reopen_days": "20", "reason": "试行"},
    ),
]
