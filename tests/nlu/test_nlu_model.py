"""The trained model through Rasa's HTTP API: Thai, English and mixed messages.

Exercises the real pipeline of bot/config.yml (ThaiTokenizer, ThaiCountVectorsFeaturizer,
LookupEntityExtractor, LanguageDetector) inside a running Rasa server.
"""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

from saphan.paths import BOT_DIR, NLU_DATA_DIR, ROOT
from saphan.rasa_model import rasa_env, rasa_executable
from testsupport.stack import Stack

pytestmark = pytest.mark.integration


def parse(stack: Stack, text: str) -> dict:
    response = httpx.post(f"{stack.rasa_url}/model/parse", json={"text": text},
                          params=stack.rasa_auth, timeout=30)
    response.raise_for_status()
    return response.json()


def entities(result: dict) -> set[tuple[str, str]]:
    return {(e["entity"], e["value"]) for e in result["entities"]}


@pytest.mark.parametrize(
    ("text", "intent", "expected_entities", "language"),
    [
        ("ช่วยด้วย ถูกขังอยู่", "emergency", set(), "th"),
        ("ช่วยด้วยยยย เขาขังหนูไว้ในห้อง", "emergency", set(), "th"),
        ("help me please, they locked me in the room", "emergency", set(), "en"),
        ("boss ไม่จ่ายเงินมา 2 เดือน", "report_exploitation", set(), "th"),
        ("my employer took my passport and does not pay me", "report_exploitation", set(),
         "en"),
        ("อยากได้ทนายที่ชลบุรีค่ะ", "find_service",
         {("service_type", "legal_aid"), ("province", "Chon Buri")}, "th"),
        ("i need a shelter near Mae Sot", "find_service",
         {("service_type", "shelter"), ("province", "Tak")}, "en"),
        ("หา shelter แถวมหาชัย", "find_service",
         {("service_type", "shelter"), ("province", "Samut Sakhon")}, "th"),
        ("โคราช", "inform", {("province", "Nakhon Ratchasima")}, "th"),
        ("ขอเปลี่ยนเป็นภาษาพม่าค่ะ", "change_language", {("language", "my")}, "th"),
        ("ขอบคุณมากๆค่ะ🙏", "thank", set(), "th"),
        ("thank you so much", "thank", set(), "en"),
        # Myanmar, Khmer, Lao (issue 18): same intents, same canonical entity values
        ("ကယ်ပါ သူဌေးက ဓားနဲ့ ခြိမ်းနေတယ်", "emergency", set(), "my"),
        ("မဲဆောက်မှာ ရှေ့နေ လိုချင်တယ်", "find_service",
         {("service_type", "legal_aid"), ("province", "Tak")}, "my"),
        ("ထိုင်းစာ မဖတ်တတ်ပါ မြန်မာလို ရေးပေးပါ", "change_language", {("language", "my")}, "my"),
        ("ថៅកែមិនឲ្យប្រាក់ខែបីខែហើយ", "report_exploitation", set(), "km"),
        ("ត្រូវការកន្លែងស្នាក់នៅនៅបាងកកបង", "find_service",
         {("service_type", "shelter"), ("province", "Bangkok")}, "km"),
        ("ຊອກໂຮງໝໍຢູ່ອຸດອນແດ່", "find_service",
         {("service_type", "medical"), ("province", "Udon Thani")}, "lo"),
        ("ເຂົາມີປືນ ຢ້ານຫຼາຍ", "emergency", set(), "lo"),
    ],
)
def test_intents_entities_and_language(
    rasa_stack: Stack, text: str, intent: str, expected_entities: set, language: str
) -> None:
    result = parse(rasa_stack, text)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]
    assert entities(result) == expected_entities
    assert result["language"] == language
    for ent in result["entities"]:  # offsets index the text the person typed
        assert 0 <= ent["start"] < ent["end"] <= len(text)
        assert ent["extractor"] == "LookupEntityExtractor"


def test_language_of_scripts_without_training_data(rasa_stack: Stack) -> None:
    assert parse(rasa_stack, "ကျွန်တော့်ကို ကူညီပါ")["language"] == "my"
    assert parse(rasa_stack, "សូមជួយខ្ញុំផង")["language"] == "km"
    assert parse(rasa_stack, "ຊ່ວຍແດ່")["language"] == "lo"
    assert parse(rasa_stack, "😭😭").get("language") is None  # no letters: key left out


def test_rasa_data_validate_is_clean() -> None:
    """No NLU warnings: the only ones allowed are about intents unused by stories."""
    result = subprocess.run(
        [str(rasa_executable()), "data", "validate", "--domain", str(BOT_DIR / "domain"),
         "--data", str(NLU_DATA_DIR / "train"), str(BOT_DIR / "data"),
         "--config", str(BOT_DIR / "config.yml")],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    warnings = re.findall(r"UserWarning: (.*)", result.stdout + result.stderr)
    assert [w for w in warnings if "is not used in any story or rule" not in w] == []
