"""Light and dark themes: Fusion + a QPalette + ``resources/styles/app.qss``, and tinted icons.

Colours are tokens in ``resources/styles/themes.json``; the style sheet names them
``@token``. ``"system"`` follows the OS colour scheme, live. Widgets that draw with
tinted icons call :func:`icon` in a ``refresh_icons()`` connected to
:data:`notifier`'s ``changed`` signal.
"""

from __future__ import annotations

import json
from functools import lru_cache

from PySide6.QtCore import QByteArray, QObject, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleFactory

from desktop.resources import icons_dir, styles_dir

# Windows first, then macOS, then Linux; CJK families next so Chinese text never falls
# back to boxes or a random font.
UI_FONTS = [
    "Segoe UI",
    "Microsoft YaHei UI",
    "PingFang SC",
    "Inter",
    "Noto Sans",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "DejaVu Sans",
]
MONO_FONTS = ["Cascadia Mono", "Consolas", "Menlo", "DejaVu Sans Mono", "Microsoft YaHei UI"]


class _Notifier(QObject):
    changed = Signal(str)  # "light" | "dark"


notifier = _Notifier()
_state = {"setting": "system", "mode": "light"}


@lru_cache(maxsize=1)
def _themes() -> dict[str, dict[str, str]]:
    data = json.loads((styles_dir() / "themes.json").read_text(encoding="utf-8"))
    return {name: tokens for name, tokens in data.items() if not name.startswith("_")}


def tokens(mode: str | None = None) -> dict[str, str]:
    return _themes()[mode or _state["mode"]]


def color(token: str) -> str:
    return tokens()[token]


def current_mode() -> str:
    return _state["mode"]


def effective_mode(setting: str) -> str:
    if setting in ("light", "dark"):
        return setting
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def style_sheet(mode: str) -> str:
    text = (styles_dir() / "app.qss").read_text(encoding="utf-8")
    text = text.replace("@icons", icons_dir().as_posix()).replace("@mode", mode)
    for name in sorted(tokens(mode), key=len, reverse=True):  # @accent_hover before @accent
        text = text.replace("@" + name, tokens(mode)[name])
    return text


def _palette(t: dict[str, str]) -> QPalette:
    pal = QPalette()
    role = QPalette.ColorRole
    for r, token in (
        (role.Window, "window"),
        (role.WindowText, "text"),
        (role.Base, "input"),
        (role.AlternateBase, "surface_alt"),
        (role.ToolTipBase, "surface"),
        (role.ToolTipText, "text"),
        (role.PlaceholderText, "faint"),
        (role.Text, "text"),
        (role.Button, "surface"),
        (role.ButtonText, "text"),
        (role.BrightText, "danger"),
        (role.Highlight, "accent"),
        (role.HighlightedText, "accent_text"),
        (role.Link, "accent"),
        (role.LinkVisited, "accent"),
        (role.Mid, "border"),
        (role.Midlight, "border"),
        (role.Dark, "border_strong"),
        (role.Light, "surface"),
    ):
        pal.setColor(r, QColor(t[token]))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, QColor(t["disabled"]))
    return pal


def ui_font(point_size: float = 10.0) -> QFont:
    font = QFont()
    font.setFamilies(UI_FONTS)
    font.setPointSizeF(point_size)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def mono_font(point_size: float = 9.5) -> QFont:
    font = QFont()
    font.setFamilies(MONO_FONTS)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(point_size)
    return font


def apply_theme(setting: str) -> str:
    """Apply ``"system"``, ``"light"`` or ``"dark"`` to the running app; returns the mode."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    first = not getattr(app, "_tuneforge_themed", False)
    if first:
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setFont(ui_font())
        QGuiApplication.styleHints().colorSchemeChanged.connect(_system_scheme_changed)
        app._tuneforge_themed = True  # type: ignore[attr-defined]
    _state["setting"] = setting
    mode = effective_mode(setting)
    changed = mode != _state["mode"] or first
    _state["mode"] = mode
    app.setPalette(_palette(tokens(mode)))
    app.setStyleSheet(style_sheet(mode))
    _icon.cache_clear()
    if changed:
        notifier.changed.emit(mode)
    return mode


def _system_scheme_changed(*_args: object) -> None:
    if _state["setting"] == "system":
        apply_theme("system")


# -- icons ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _svg_sources() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in icons_dir().glob("*.svg")}


@lru_cache(maxsize=512)
def _renderer(name: str, color_hex: str | None) -> QSvgRenderer:
    source = _svg_sources()[name]
    if color_hex:
        source = source.replace("currentColor", color_hex)
    return QSvgRenderer(QByteArray(source.encode("utf-8")))


def svg_pixmap(name: str, size: int, color_hex: str | None = None, dpr: float = 2.0) -> QPixmap:
    """The SVG icon ``name`` drawn at ``size`` logical pixels, ``currentColor`` = ``color_hex``."""
    renderer = _renderer(name, color_hex)
    pixmap = QPixmap(int(size * dpr), int(size * dpr))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size * dpr, size * dpr))
    painter.end()
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


class _SvgIconEngine(QIconEngine):
    """Renders a tinted SVG at exactly the size and scale asked for, once, when painted."""

    def __init__(self, name: str, colors: dict[tuple[QIcon.Mode, QIcon.State], str]) -> None:
        super().__init__()
        self._name = name
        self._colors = colors
        self._cache: dict[tuple[int, int, float, QIcon.Mode, QIcon.State], QPixmap] = {}

    def _color(self, mode: QIcon.Mode, state: QIcon.State) -> str:
        if mode == QIcon.Mode.Disabled:
            return self._colors[(QIcon.Mode.Disabled, QIcon.State.Off)]
        return self._colors.get(
            (QIcon.Mode.Normal, state), self._colors[(QIcon.Mode.Normal, QIcon.State.Off)]
        )

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        key = (size.width(), size.height(), scale, mode, state)
        if key not in self._cache:
            side = min(size.width(), size.height())
            self._cache[key] = svg_pixmap(self._name, side, self._color(mode, state), dpr=scale)
        return self._cache[key]

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() else 1.0
        pixmap = self.scaledPixmap(rect.size(), mode, state, scale)
        painter.drawPixmap(rect, pixmap)

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._name, self._colors)


@lru_cache(maxsize=256)
def _icon(name: str, token: str, mode: str, checked_token: str | None) -> QIcon:
    t = tokens(mode)
    colors = {
        (QIcon.Mode.Normal, QIcon.State.Off): t[token],
        (QIcon.Mode.Disabled, QIcon.State.Off): t["disabled"],
    }
    if checked_token:
        colors[(QIcon.Mode.Normal, QIcon.State.On)] = t[checked_token]
    return QIcon(_SvgIconEngine(name, colors))


def icon(name: str, token: str = "muted", *, checked_token: str | None = None) -> QIcon:
    """Icon ``name`` tinted with the theme colour ``token`` (``checked_token`` when checked)."""
    return _icon(name, token, _state["mode"], checked_token)


def dot_pixmap(color_hex: str, diameter: int = 8, dpr: float = 2.0) -> QPixmap:
    """A filled circle (status lights)."""
    pixmap = QPixmap(int(diameter * dpr), int(diameter * dpr))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color_hex))
    painter.drawEllipse(QRectF(0, 0, diameter * dpr, diameter * dpr))
    painter.end()
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(svg_pixmap("app", size, dpr=1.0))
    return icon
