"""Every text of the settings page exists in English and Dutch (issue 15: "all texts from a
catalogue")."""

import re
from pathlib import Path

from billit_sync.settings_ui.texts import CHOICE_LABELS, FIELD_LABELS, NOTES, UI_TEXTS
from billit_sync.tenant_settings import SETTINGS_NOTES

TEMPLATES = Path(__file__).resolve().parents[3] / "layers/common/billit_sync/settings_ui/templates"


def test_every_text_has_both_languages_with_the_same_placeholders() -> None:
    for catalogue in (UI_TEXTS, FIELD_LABELS, CHOICE_LABELS):
        for key, texts in catalogue.items():
            assert set(texts) == {"en", "nl"}, key
            en, nl = (set(re.findall(r"\{(\w+)\}", texts[lang])) for lang in ("en", "nl"))
            assert en == nl, key


def test_the_notes_are_the_api_notes_and_each_has_a_dutch_text() -> None:
    assert NOTES["en"] == SETTINGS_NOTES
    assert len(NOTES["nl"]) == len(SETTINGS_NOTES)
    assert "geen medewerkers" in NOTES["nl"][0]


def test_the_templates_use_only_catalogue_keys() -> None:
    used = {
        key
        for template in TEMPLATES.glob("*.html")
        for key in re.findall(r"texts\[['\"]([\w.]+)['\"]\]", template.read_text(encoding="utf-8"))
    }
    assert used and used <= set(UI_TEXTS)
