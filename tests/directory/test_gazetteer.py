"""The province gazetteer agrees with PyThaiNLP and is internally consistent."""

from __future__ import annotations

from pythainlp.corpus import provinces as pythainlp_provinces

from referral_directory.gazetteer import canonical_province, neighbours, provinces

REGIONS = {"north", "northeast", "central", "east", "west", "south"}


def test_77_provinces_named_as_pythainlp() -> None:
    expected = {p["name_en"]: p["name_th"] for p in pythainlp_provinces(details=True)}
    got = provinces()
    assert len(got) == 77
    assert {name: p.name_th for name, p in got.items()} == expected


def test_neighbours_are_known_symmetric_and_not_self() -> None:
    table = provinces()
    for name, province in table.items():
        assert province.neighbours, name
        assert name not in province.neighbours
        for other in province.neighbours:
            assert other in table, (name, other)
            assert name in table[other].neighbours, f"{name} -> {other} but not back"


def test_regions_and_points_inside_thailand() -> None:
    table = provinces()
    assert {p.region for p in table.values()} == REGIONS
    counts = {r: sum(p.region == r for p in table.values()) for r in REGIONS}
    assert counts == {"north": 9, "northeast": 20, "central": 22, "east": 7, "west": 5, "south": 14}
    for p in table.values():
        assert 5.6 <= p.latitude <= 20.5 and 97.3 <= p.longitude <= 105.7, p


def test_neighbouring_points_are_close() -> None:
    """A wrong neighbour (e.g. a typo'd province) would be hundreds of km away."""
    from referral_directory.geo import distance_km

    table = provinces()
    for name, p in table.items():
        for other in p.neighbours:
            q = table[other]
            assert distance_km(p.latitude, p.longitude, q.latitude, q.longitude) < 330, (
                name,
                other,
            )


def test_canonical_names_from_thai_english_and_abbreviations() -> None:
    assert canonical_province("กรุงเทพมหานคร") == "Bangkok"
    assert canonical_province("กทม") == "Bangkok"
    assert canonical_province("chon buri") == "Chon Buri"
    assert canonical_province("ตาก") == "Tak"
    assert canonical_province("Atlantis") is None
    assert "Phangnga" in neighbours("Phuket")


def test_towns_are_in_their_province_with_a_source() -> None:
    from referral_directory.gazetteer import find_town, towns
    from referral_directory.geo import distance_km

    table = provinces()
    names: set[str] = set()
    for town in towns().values():
        seat = table[town.province]
        assert distance_km(town.latitude, town.longitude, seat.latitude, seat.longitude) < 250
        for name in (town.name_en, town.name_th, *town.aliases):
            assert name.casefold() not in names, name  # each name means one town
            names.add(name.casefold())
            assert find_town(f" {name.upper()} ") == town
        assert canonical_province(town.name_en) is None or town.name_en == "Ranong town"
    assert {"Mae Sot", "Mae Sai", "Mahachai", "Hat Yai", "Pattaya"} <= set(towns())
    assert find_town("Atlantis") is None


def test_town_sources_are_stated_in_the_file() -> None:
    import yaml

    from referral_directory.gazetteer import TOWNS_FILE

    data = yaml.safe_load(TOWNS_FILE.read_text(encoding="utf-8"))
    assert "Wikipedia" in TOWNS_FILE.read_text(encoding="utf-8").split("towns:")[0]
    for name, town in data["towns"].items():
        assert str(town["source"]).startswith(("http://", "https://")), name
