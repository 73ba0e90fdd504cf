"""Province/service/language lookup: generated gazetteer and the token-aligned matcher."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from pythainlp.corpus import provinces
from saphan_nlu.gazetteer import Gazetteer, alias_key

from saphan.paths import APP_VENV, NLU_DATA_DIR

GAZETTEER_FILE = NLU_DATA_DIR / "train" / "gazetteer.yml"


def _items(block: str) -> list[str]:
    return [line[2:].strip() for line in block.splitlines() if line.startswith("- ")]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    """The same alias table the Rasa LookupEntityExtractor builds from the training data."""
    data = yaml.safe_load(GAZETTEER_FILE.read_text(encoding="utf-8"))["nlu"]
    synonyms = {
        alias_key(alias): item["synonym"]
        for item in data if "synonym" in item for alias in _items(item["examples"])
    }
    return Gazetteer(
        (alias, item["lookup"], synonyms.get(alias_key(alias), alias))
        for item in data if "lookup" in item for alias in _items(item["examples"])
    )


def found(gaz: Gazetteer, text: str) -> list[tuple[str, str]]:
    return [(m.entity, m.value) for m in gaz.find(text)]


def test_generated_file_is_up_to_date() -> None:
    script = NLU_DATA_DIR / "tools" / "build_gazetteer.py"
    python = APP_VENV / "bin" / "python"
    result = subprocess.run(
        [str(python if python.exists() else sys.executable), str(script), "--check"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def test_every_province_maps_from_its_thai_and_english_name(gazetteer: Gazetteer) -> None:
    for row in provinces(details=True):
        assert found(gazetteer, f"อยู่จังหวัด{row['name_th']}ค่ะ") == [("province", row["name_en"])]
        assert found(gazetteer, f"I am in {row['name_en']} now") == [("province", row["name_en"])]
    canonical = {v for e, v in gazetteer.table.values() if e == "province"}
    assert canonical == {row["name_en"] for row in provinces(details=True)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ไปกทมค่ะ", "Bangkok"),
        ("ทำงานที่ BKK", "Bangkok"),
        ("อยู่โคราช", "Nakhon Ratchasima"),
        ("working in Chonburi", "Chon Buri"),
        ("ทำงานที่ศรีราชา", "Chon Buri"),
        ("โรงงานที่มหาชัย", "Samut Sakhon"),
        ("อยู่แม่สอดค่ะ", "Tak"),
        ("ด่านแม่สาย", "Chiang Rai"),
        ("boat in Ranong", "Ranong"),
        ("อยู่หาดใหญ่", "Songkhla"),
        ("จ.เลย", "Loei"),
    ],
)
def test_names_towns_and_spellings_map_to_the_province(
    gazetteer: Gazetteer, text: str, value: str
) -> None:
    assert found(gazetteer, text) == [("province", value)]


@pytest.mark.parametrize("text", ["ไม่รู้เลย", "ตากแดดทั้งวัน", "ไม่รู้ว่าเลยมาไกลแค่ไหน"])
def test_everyday_words_are_not_provinces(gazetteer: Gazetteer, text: str) -> None:
    assert [e for e, _ in found(gazetteer, text) if e == "province"] == []


def test_services_and_languages_get_canonical_values(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "หาทนายที่ชลบุรี") == [
        ("service_type", "legal_aid"), ("province", "Chon Buri"),
    ]
    assert found(gazetteer, "need a shelter in Mae Sot") == [
        ("service_type", "shelter"), ("province", "Tak"),
    ]
    assert found(gazetteer, "ขอภาษาพม่า") == [("language", "my")]
    assert found(gazetteer, "switch to Khmer please") == [("language", "km")]


@pytest.mark.parametrize(("text", "expected"), [
    ("မဲဆောက်မှာ နေစရာ ရှိလား", [("province", "Tak"), ("service_type", "shelter")]),
    ("ရှေ့နေလိုတယ် မဟာချိုင်မှာ", [("service_type", "legal_aid"), ("province", "Samut Sakhon")]),
    ("មានមន្ទីរពេទ្យនៅបាងកកទេ", [("service_type", "medical"), ("province", "Bangkok")]),
    ("ຊອກບ່ອນພັກຢູ່ໜອງຄາຍ", [("service_type", "shelter"), ("province", "Nong Khai")]),
    ("ຂໍພາສາລາວ", [("language", "lo")]),
])
def test_myanmar_khmer_lao_names_get_the_same_canonical_values(
    gazetteer: Gazetteer, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(gazetteer, text) == expected


def test_lao_pronoun_is_not_a_language(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "ລາວຕີຂ້ອຍ") == []  # "he hits me"


def test_spans_index_the_original_text(gazetteer: Gazetteer) -> None:
    text = "อยู่\u200bมหาชัยยยย ค่ะ"
    (match,) = gazetteer.find(text)
    assert text[match.start : match.end] == match.text == "มหาชัยยยย"
    assert match.value == "Samut Sakhon"


def test_longest_alias_wins(gazetteer: Gazetteer) -> None:
    (match,) = gazetteer.find("ติดต่อบ้านพักฉุกเฉินได้ไหม")
    assert match.text == "บ้านพักฉุกเฉิน" and match.value == "shelter"
