"""The pure plan of a keyed sync: verdicts for one code + what Handy has → exactly one action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from handy_alegra.mapping.verdict import Verdict, skip
from handy_alegra.sync.keyed_plan import Action, Known, diff, plan, same

CODE = "ACE-1"
DESIRED: dict[str, Any] = {
    "description": "Aceite",
    "price": Decimal("116.00"),
    "family": "Lubricantes",
    "enabled": True,
    "externalId": "1043",
    "quantity": Decimal(148),
}


def wanted(source_id: str = "1043", **over: Any) -> Verdict:
    return Verdict(source_id, CODE, "Aceite", True, None, {"price_list": "General"}, DESIRED | over)


def skipped(source_id: str = "1043", *reasons: str) -> Verdict:
    return skip(source_id, CODE, "Aceite", list(reasons or ["inactive"]), price_list="General")


def handy(managed: bool = True, **over: Any) -> Known:
    return Known(DESIRED | over, managed)


# --- same / diff ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted_value", "current", "expected"),
    [
        pytest.param(Decimal("10.5"), Decimal("10.50"), True, id="decimal-scale"),
        pytest.param(Decimal("10.5"), 10.5, True, id="decimal-vs-float"),
        pytest.param(Decimal("14.32"), "14.32", True, id="decimal-vs-string"),
        pytest.param(Decimal(148), 148, True, id="decimal-vs-int"),
        pytest.param(Decimal("10.5"), Decimal("10.51"), False, id="decimal-differs"),
        pytest.param(Decimal("0"), None, False, id="zero-vs-none"),
        pytest.param(Decimal("10.5"), "n/a", False, id="decimal-vs-junk"),
        pytest.param(None, "", True, id="none-vs-empty"),
        pytest.param("", None, True, id="empty-vs-none"),
        pytest.param(None, None, True, id="none-vs-none"),
        pytest.param(None, "x", False, id="none-vs-text"),
        pytest.param("Aceite", "Aceite", True, id="same-text"),
        pytest.param("Aceite", "Aceite ", False, id="text-trailing-space"),
        pytest.param("José", "Jose", False, id="accent-matters"),
        pytest.param(True, True, True, id="bool-same"),
        pytest.param(True, False, False, id="bool-differs"),
    ],
)
def test_same(wanted_value: Any, current: Any, expected: bool) -> None:
    assert same(wanted_value, current) is expected


@pytest.mark.parametrize(
    ("desired", "current", "changes"),
    [
        pytest.param(DESIRED, DESIRED, {}, id="equal"),
        pytest.param(DESIRED, DESIRED | {"price": Decimal("116.0")}, {}, id="price-scale-only"),
        pytest.param(
            DESIRED,
            DESIRED | {"price": Decimal("100"), "quantity": Decimal(3)},
            {"price": Decimal("116.00"), "quantity": Decimal(148)},
            id="two-fields",
        ),
        pytest.param({"email": None}, {"email": ""}, {}, id="none-vs-empty"),
        pytest.param({"email": "a@b.co"}, {}, {"email": "a@b.co"}, id="missing-in-handy"),
        pytest.param({"email": None}, {}, {}, id="none-and-missing"),
        pytest.param({}, {"price": Decimal(1)}, {}, id="extra-handy-fields-ignored"),
    ],
)
def test_diff_keeps_only_differing_desired_fields(
    desired: dict[str, Any], current: dict[str, Any], changes: dict[str, Any]
) -> None:
    assert diff(desired, current) == changes


# --- one syncing verdict ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("known", "expected"),
    [
        pytest.param(
            None,
            Action("create", CODE, DESIRED, source_id="1043", desired=DESIRED),
            id="create-not-in-handy",
        ),
        pytest.param(handy(), Action("unchanged", CODE, source_id="1043"), id="unchanged"),
        pytest.param(
            handy(price=Decimal("116.0"), quantity=Decimal("148.00")),
            Action("unchanged", CODE, source_id="1043"),
            id="unchanged-decimal-scale",
        ),
        pytest.param(
            handy(managed=False),
            Action("unchanged", CODE, source_id="1043"),
            id="unchanged-unmanaged-equal",
        ),
        pytest.param(
            handy(price=Decimal("100.00")),
            Action("update", CODE, {"price": Decimal("116.00")}, source_id="1043", desired=DESIRED),
            id="update-price-only",
        ),
        pytest.param(
            handy(description="Aceite viejo", family="Otros"),
            Action(
                "update",
                CODE,
                {"description": "Aceite", "family": "Lubricantes"},
                source_id="1043",
                desired=DESIRED,
            ),
            id="update-two-fields",
        ),
        pytest.param(
            handy(enabled=False),
            Action("enable", CODE, {"enabled": True}, source_id="1043", desired=DESIRED),
            id="enable-when-disabled",
        ),
        pytest.param(
            handy(enabled=False, quantity=Decimal(0)),
            Action(
                "enable",
                CODE,
                {"enabled": True, "quantity": Decimal(148)},
                source_id="1043",
                desired=DESIRED,
            ),
            id="enable-with-other-changes",
        ),
        pytest.param(
            handy(enabled=None),
            Action("update", CODE, {"enabled": True}, source_id="1043", desired=DESIRED),
            id="enabled-unknown-is-update",
        ),
    ],
)
def test_plan_one_syncing_verdict(known: Known | None, expected: Action) -> None:
    assert plan(CODE, [wanted()], known) == expected


@pytest.mark.parametrize(
    "verdicts",
    [
        pytest.param([wanted()], id="alone"),
        pytest.param([skipped("7", "inactive"), wanted()], id="after-a-skip"),
        pytest.param([wanted(), skipped("7", "no_price_in_list")], id="before-a-skip"),
    ],
)
def test_plan_one_qualifying_item_among_skipped_ones_syncs(verdicts: list[Verdict]) -> None:
    action = plan(CODE, verdicts, None)
    assert (action.kind, action.source_id, action.changes) == ("create", "1043", DESIRED)


def test_plan_desired_is_a_copy_of_the_verdicts() -> None:
    verdict = wanted()
    action = plan(CODE, [verdict], handy(price=Decimal(1)))
    assert action.desired == DESIRED
    assert action.desired is not verdict.desired


# --- no syncing verdict -----------------------------------------------------------------------

DUPLICATES = [wanted("2001"), wanted("1043"), wanted("310")]
DUP_DETAIL = {"ids": ["1043", "2001", "310"]}


@pytest.mark.parametrize(
    ("verdicts", "known", "expected"),
    [
        pytest.param(
            DUPLICATES,
            handy(),
            Action("disable", CODE, {"enabled": False}, "duplicate_reference", DUP_DETAIL),
            id="duplicate-managed-disabled",
        ),
        pytest.param(
            DUPLICATES,
            None,
            Action("skip", CODE, {}, "duplicate_reference", DUP_DETAIL),
            id="duplicate-not-in-handy-skipped",
        ),
        pytest.param(
            DUPLICATES,
            handy(managed=False),
            Action("skip", CODE, {}, "duplicate_reference", DUP_DETAIL),
            id="duplicate-unmanaged-skipped",
        ),
        pytest.param(
            [*DUPLICATES[:2], skipped("9", "inactive")],
            handy(enabled=False),
            Action("unchanged", CODE, {}, "duplicate_reference", {"ids": ["1043", "2001"]}),
            id="duplicate-managed-already-disabled",
        ),
        pytest.param(
            [skipped("1043", "inactive")],
            handy(),
            Action(
                "disable",
                CODE,
                {"enabled": False},
                "inactive",
                {"price_list": "General"},
                "1043",
            ),
            id="skip-managed-enabled-disabled",
        ),
        pytest.param(
            [skipped("1043", "no_price_in_list", "not_inventoriable")],
            Known({"price": Decimal(1)}, managed=True),
            Action(
                "disable",
                CODE,
                {"enabled": False},
                "no_price_in_list",
                {"price_list": "General", "also": ["not_inventoriable"]},
                "1043",
            ),
            id="skip-managed-enabled-unknown-disabled",
        ),
        pytest.param(
            [skipped("1043", "inactive")],
            handy(enabled=False),
            Action("unchanged", CODE, {}, "inactive", {"price_list": "General"}, "1043"),
            id="skip-managed-already-disabled",
        ),
        pytest.param(
            [skipped("1043", "inactive")],
            handy(managed=False),
            Action("skip", CODE, {}, "inactive", {"price_list": "General"}, "1043"),
            id="skip-unmanaged-never-disabled",
        ),
        pytest.param(
            [skipped("1043", "inactive")],
            None,
            Action("skip", CODE, {}, "inactive", {"price_list": "General"}, "1043"),
            id="skip-not-in-handy",
        ),
        pytest.param(
            [skipped("5", "two_iva"), skipped("6", "inactive")],
            handy(),
            Action("disable", CODE, {"enabled": False}, "two_iva", {"price_list": "General"}, "5"),
            id="several-skips-first-reason",
        ),
        pytest.param(
            [],
            handy(managed=False),
            Action("left_alone", CODE, {}, "not_in_alegra"),
            id="handy-only-left-alone",
        ),
        pytest.param(
            [],
            handy(managed=False, enabled=False),
            Action("left_alone", CODE, {}, "not_in_alegra"),
            id="handy-only-disabled-left-alone",
        ),
        pytest.param(
            [],
            handy(),
            Action("disable", CODE, {"enabled": False}, "not_in_alegra"),
            id="deleted-in-alegra-disabled",
        ),
        pytest.param(
            [],
            handy(enabled=False),
            Action("unchanged", CODE, {}, "not_in_alegra"),
            id="deleted-in-alegra-already-disabled",
        ),
    ],
)
def test_plan_nothing_qualifies(
    verdicts: list[Verdict], known: Known | None, expected: Action
) -> None:
    assert plan(CODE, verdicts, known) == expected


def test_plan_skip_detail_is_a_copy() -> None:
    verdict = skipped("1043", "inactive")
    action = plan(CODE, [verdict], handy())
    action.detail["extra"] = 1
    assert verdict.detail == {"price_list": "General"}
