"""Rich menus per audience from `gateway/rich_menu.yml`: a 3×2 grid of postback buttons
(labels from the text catalogue, namespace gateway)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
import yaml
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, RichMenuRequest

from content.catalogue import full_languages, text
from gateway.channels import Channel
from saphan.settings import Settings

MENU_FILE = Path(__file__).resolve().parent / "rich_menu.yml"
WIDTH, HEIGHT, COLUMNS, ROWS = 2500, 1686, 3, 2
COLORS = [(6, 199, 85), (39, 50, 70), (140, 171, 217), (229, 115, 115), (255, 193, 7),
          (96, 125, 139)]


def menu_request(audience: str) -> dict:
    """The rich menu object (LINE JSON) for `audience`; validated by the SDK model."""
    data = yaml.safe_load(MENU_FILE.read_text(encoding="utf-8"))
    payloads = data["audiences"][audience]
    if len(payloads) != COLUMNS * ROWS:
        raise ValueError(f"{MENU_FILE}: {audience} needs {COLUMNS * ROWS} buttons")
    w, h = WIDTH // COLUMNS, HEIGHT // ROWS

    def both(key: str) -> str:  # one rich menu per channel, so Thai and English together
        return " / ".join(text("gateway", key, lang) for lang in full_languages("gateway"))

    areas = [
        {"bounds": {"x": (i % COLUMNS) * w, "y": (i // COLUMNS) * h, "width": w, "height": h},
         "action": {"type": "postback", "data": payload,
                    "label": both(f"menu_{audience}_{payload.strip('/')}_label"),
                    "displayText": both(f"menu_{audience}_{payload.strip('/')}")}}
        for i, payload in enumerate(payloads)
    ]
    menu = {"size": {"width": WIDTH, "height": HEIGHT}, "selected": True,
            "name": f"saphan-{audience}", "chatBarText": text("gateway", "menu_chat_bar", None),
            "areas": areas}
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
    """Create the channel's rich menu, upload its image, make it the default; return its id.
    With `replace`, older `saphan-*` menus of the channel are deleted afterwards."""
    config = Configuration(host=settings.line_api_base_url, access_token=channel.access_token)
    with ApiClient(config) as client:
        api = MessagingApi(client)
        old = [m.rich_menu_id for m in api.get_rich_menu_list().richmenus
               if m.name.startswith("saphan-")] if replace else []
        menu_id = api.create_rich_menu(
            RichMenuRequest.from_dict(menu_request(channel.audience))).rich_menu_id
        response = httpx.post(
            f"{settings.line_data_api_base_url}/v2/bot/richmenu/{menu_id}/content",
            content=image, timeout=30,
            headers={"Authorization": f"Bearer {channel.access_token}",
                     "Content-Type": content_type},
        )
        response.raise_for_status()
        api.set_default_rich_menu(menu_id)
        for old_id in old:
            api.delete_rich_menu(old_id)
    return menu_id
