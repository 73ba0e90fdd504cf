"""Rich menus per audience from `gateway/rich_menu.yml`: a 3×2 grid of postback buttons
(labels from the text catalogue, namespace gateway). The channel's default menu is labelled in
Thai and English ("th / en": LINE allows 20 characters, five languages do not fit); its
"language" button asks the bot, which offers all five languages, each in its own script.
`menu_request(audience, language)` builds the menu of one language (labels in it)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
import yaml
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, RichMenuRequest

from content.catalogue import BASE_LANGUAGES, full_languages, text
from gateway.channels import Channel
from saphan.settings import Settings

MENU_FILE = Path(__file__).resolve().parent / "rich_menu.yml"
WIDTH, HEIGHT, COLUMNS, ROWS = 2500, 1686, 3, 2
COLORS = [(6, 199, 85), (39, 50, 70), (140, 171, 217), (229, 115, 115), (255, 193, 7),
          (96, 125, 139)]


def menu_name(audience: str, language: str | None = None) -> str:
    """`saphan-<audience>` (the channel's default), `saphan-<audience>-<language>`."""
    return f"saphan-{audience}" + (f"-{language}" if language else "")


def menu_languages(audience: str) -> tuple[str, ...]:
    """The languages with a menu of their own: the public channel's five (the person's menu
    follows their language); officers keep the Thai/English default."""
    return full_languages("gateway") if audience == "public" else ()


def menu_request(audience: str, language: str | None = None) -> dict:
    """The rich menu object (LINE JSON) for `audience`, labelled in Thai and English or in
    `language`; validated by the SDK model."""
    data = yaml.safe_load(MENU_FILE.read_text(encoding="utf-8"))
    payloads = data["audiences"][audience]
    if len(payloads) != COLUMNS * ROWS:
        raise ValueError(f"{MENU_FILE}: {audience} needs {COLUMNS * ROWS} buttons")
    w, h = WIDTH // COLUMNS, HEIGHT // ROWS

    shown_in = (language,) if language else BASE_LANGUAGES

    def both(key: str) -> str:  # the default menu: Thai and English together
        return " / ".join(text("gateway", key, lang) for lang in shown_in)

    areas = [
        {"bounds": {"x": (i % COLUMNS) * w, "y": (i // COLUMNS) * h, "width": w, "height": h},
         "action": {"type": "postback", "data": payload,
                    "label": both(f"menu_{audience}_{payload.strip('/')}_label"),
                    "displayText": both(f"menu_{audience}_{payload.strip('/')}")}}
        for i, payload in enumerate(payloads)
    ]
    menu = {"size": {"width": WIDTH, "height": HEIGHT}, "selected": True,
            "name": menu_name(audience, language),
            "chatBarText": text("gateway", "menu_chat_bar", None), "areas": areas}
    RichMenuRequest.from_dict(menu)  # raises on a field LINE would reject
    return menu


def grid_png() -> bytes:
    """A plain PNG of coloured cells matching the areas (use --image for a designed one)."""
    w, h = WIDTH // COLUMNS, HEIGHT // ROWS
    raw = bytearray()
    for row in range(ROWS):
        line = b"\x00" + b"".join(bytes(COLORS[row * COLUMNS + min(x // w, COLUMNS - 1)])
                                  for x in range(WIDTH))
        raw.extend(line * (h if row < ROWS - 1 else HEIGHT - h * (ROWS - 1)))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def setup_channel(settings: Settings, channel: Channel, image: bytes, content_type: str,
                  replace: bool = True) -> str:
    """Create the channel's rich menus (the Thai/English default and one per language of
    `menu_languages`, which the gateway gives each person when their language is set), upload
    the image to each, make the first the default; return its id. With `replace`, older
    `saphan-*` menus of the channel are deleted afterwards (people linked to one see the
    default until their language is next set)."""
    config = Configuration(host=settings.line_api_base_url, access_token=channel.access_token)
    with ApiClient(config) as client:
        api = MessagingApi(client)
        old = [m.rich_menu_id for m in api.get_rich_menu_list().richmenus
               if m.name.startswith("saphan-")] if replace else []
        created = []
        for language in (None, *menu_languages(channel.audience)):
            menu_id = api.create_rich_menu(RichMenuRequest.from_dict(
                menu_request(channel.audience, language))).rich_menu_id
            response = httpx.post(
                f"{settings.line_data_api_base_url}/v2/bot/richmenu/{menu_id}/content",
                content=image, timeout=30,
                headers={"Authorization": f"Bearer {channel.access_token}",
                         "Content-Type": content_type},
            )
            response.raise_for_status()
            created.append(menu_id)
        api.set_default_rich_menu(created[0])
        for old_id in old:
            api.delete_rich_menu(old_id)
    return created[0]
