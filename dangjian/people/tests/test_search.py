"""What the search box of the people list means (search_filter) and that search respects scope."""

import pytest
from django.db.models import Q

from dangjian.core import crypto
from dangjian.people.selectors import PeopleFilters, people_list, search_branches, search_filter
from tests.factories import as_actor

KNOWN_ID = "11010519491231002X"


def names_q(prefix: str) -> Q:
    return Q(name_initials__startswith=prefix) | Q(name_pinyin__startswith=prefix)


def id_q(number: str) -> Q:
    return Q(id_number_hash=crypto.search_hash(number, purpose="id_number"))


def phone_q(number: str) -> Q:
    return Q(phone_hash=crypto.search_hash(number, purpose="phone"))


# --- search_filter --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ("zs", "zs"),
        ("ZS", "zs"),
        ("Zs", "zs"),
        (" zs ", "zs"),
        ("zhang", "zhang"),
        ("zhangsan", "zhangsan"),
        ("zhang san", "zhangsan"),
        ("ｚｓ", "zs"),  # full-width letters from a Chinese input method
        ("x", "x"),
    ],
)
def test_letters_search_initials_and_pinyin(query, prefix):
    assert search_filter(query) == names_q(prefix)


@pytest.mark.parametrize(
    ("query", "tail"), [("5678", "5678"), (" 5678 ", "5678"), ("５６７８", "5678"), ("0001", "0001")]
)
def test_four_digits_search_phone_tail(query, tail):
    assert search_filter(query) == Q(phone_tail=tail)


@pytest.mark.parametrize(
    "query",
    [
        KNOWN_ID,
        "11010519491231002x",
        "110105 19491231 002X",
        " 110105 1949 1231 002x ",
        "１１０１０５１９４９１２３１００２ｘ",
    ],
)
def test_id_number_searches_the_keyed_hash(query):
    q = search_filter(query)
    assert q == id_q(KNOWN_ID)


def test_id_number_with_digit_check_character():
    assert search_filter("420107198005170134") == id_q("420107198005170134")


def test_id_hash_differs_from_phone_hash_for_the_same_digits():
    assert id_q(KNOWN_ID) != Q(id_number_hash=crypto.search_hash(KNOWN_ID, purpose="phone"))


@pytest.mark.parametrize(
    "query",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "008613812345678",
        "8613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_searches_the_keyed_hash(query):
    assert search_filter(query) == phone_q("13812345678")


def name_branches(text):
    """The start of the name, or else of the given name: two branches that exclude each other."""
    by_name = Q(name__startswith=text)
    return (by_name, Q(name_given__startswith=text) & ~by_name)


@pytest.mark.parametrize("query", ["张三", "张", " 张三 ", "红钢城", "张三 李四"])
def test_chinese_text_searches_the_start_of_the_name_or_given_name(query):
    text = " ".join(query.split())
    assert search_branches(query) == name_branches(text)
    assert search_filter(query) == name_branches(text)[0] | name_branches(text)[1]


def test_inner_whitespace_is_collapsed_for_name_search():
    assert search_branches("张三   李四") == name_branches("张三 李四")


@pytest.mark.parametrize("query", ["123", "12345", "1234567890", "张s"])
def test_other_input_falls_back_to_name(query):
    assert search_branches(query) == name_branches(query)


@pytest.mark.parametrize("query", ["", " ", "   ", "\t\n", "\u3000", None])
def test_empty_or_whitespace_is_no_filter(query):
    assert search_filter(query) is None


# --- end to end through the access layer ----------------------------------------------------


def search(user, query):
    return list(people_list(actor=as_actor(user), filters=PeopleFilters(q=query)))


@pytest.fixture
def zhang_id(world):
    number = crypto.decrypt(world.zhang.id_number_encrypted)
    assert len(number) == 18
    return number


@pytest.mark.django_db
def test_secretary_finds_zhang_by_initials_tail_and_numbers(world, zhang_id):
    secretary = world.users.secretary
    for query in ["zs", "ZS", "zhang", "张三", "张", "5678", zhang_id, "13812345678", "138 1234 5678"]:
        assert search(secretary, query) == [world.zhang], query


@pytest.mark.django_db
def test_secretary_finds_zhang_by_id_number_typed_loosely(world, zhang_id):
    loose = f" {zhang_id[:6]} {zhang_id[6:14]}\n{zhang_id[14:].lower()} "
    assert search(world.users.secretary, loose) == [world.zhang]
    full_width = zhang_id.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert search(world.users.secretary, full_width) == [world.zhang]


@pytest.mark.django_db
def test_other_people_are_not_matched(world, zhang_id):
    secretary = world.users.secretary
    assert search(secretary, "ls") == [world.li]
    assert search(secretary, "1111") == [world.li]
    assert search(secretary, "0000") == []
    wrong_id = zhang_id[:14] + ("1" if zhang_id[14] != "1" else "2") + zhang_id[15:]
    assert search(secretary, wrong_id) == []
    assert search(secretary, "13812345679") == []


@pytest.mark.django_db
def test_outsider_finds_nothing_of_community_a(world, zhang_id):
    outsider = world.users.outsider
    for query in ["zs", "ZS", "zhang", "张三", "5678", zhang_id, "13812345678"]:
        assert search(outsider, query) == [], query
    # Not vacuous: the outsider does find people of their own community B.
    assert search(outsider, "ww") == [world.wang]
    assert search(outsider, "2222") == [world.wang]


@pytest.mark.django_db
def test_empty_search_lists_everyone_in_scope(world):
    names = {p.name for p in search(world.users.secretary, "  ")}
    assert {"张三", "李四", "赵六", "钱七"} <= names
    assert not names & {"王五", "孙八"}


@pytest.mark.django_db
def test_name_search_finds_surname_full_name_and_given_name(world):
    from tests.factories import make_person

    make_person(world.users.secretary, world.grid_a1, "欧阳娜娜")
    make_person(world.users.secretary, world.grid_a1, "王小红")

    def names(query):
        return sorted(p.name for p in search(world.users.secretary, query))

    assert names("王") == ["王小红"]
    assert names("王小红") == ["王小红"]
    assert names("小红") == ["王小红"]  # given name
    assert names("娜娜") == ["欧阳娜娜"]  # given name after a compound surname
    assert names("欧阳") == ["欧阳娜娜"]
    assert names("三") == ["张三"]
    assert names("红") == []  # the middle of a given name is not searched (see search_filter)


@pytest.mark.django_db
def test_a_search_with_very_many_matches_says_more_than(world, client, monkeypatch):
    from django.urls import reverse

    from dangjian.people import selectors
    from tests.factories import make_person

    monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 2)  # the real limit is 1,000; the world is small
    for name in ("张一", "张二", "张四"):
        make_person(world.users.secretary, world.grid_a1, name)
    client.force_login(world.users.secretary)
    page = client.get(reverse("people:list"), {"q": "张"}).context["page"]
    assert page.paginator.capped and page.paginator.count == 2
    body = client.get(reverse("people:list"), {"q": "张"}).content.decode()
    assert "匹配超过2人" in body
    assert not client.get(reverse("people:list"), {"q": "张一"}).context["page"].paginator.capped


@pytest.mark.django_db
def test_a_name_search_pages_through_both_branches_once_each(world):
    """The page of a name search is the union of its two branches, in pinyin order, each person
    once (王王 matches both), counted exactly, with the other filters applied to both."""
    from dangjian.people.selectors import people_page
    from tests.factories import make_person

    secretary = as_actor(world.users.secretary)
    names = ["王小明", "王王", "李王强", "王芳", "欧阳王", "张三丰"]
    for name in names:
        make_person(secretary, world.grid_a1, name)
    make_person(world.users.admin, world.grid_b1, "王外")  # outside the secretary's community

    page = people_page(actor=secretary, filters=PeopleFilters(q="王"), number=1, per_page=3)
    assert page.paginator.count == 5 and page.paginator.num_pages == 2
    found = [p.name for p in page] + [p.name for p in page.paginator.page(2)]
    assert sorted(found) == sorted(["王小明", "王王", "李王强", "王芳", "欧阳王"])
    assert found == [p.name for p in people_list(actor=secretary, filters=PeopleFilters(q="王"))]

    women = people_page(actor=secretary, filters=PeopleFilters(q="王", gender="female"), number=1)
    assert {p.name for p in women} == {
        p.name for p in people_list(actor=secretary, filters=PeopleFilters(q="王", gender="female"))
    }
