"""Fine-tune settings: presets, every option under Advanced (each with a plain tooltip),
this computer's GPU and the memory-fit estimate."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop.widgets.collapsible import Collapsible
from desktop.widgets.common import Card, label, pad_spin_box, set_prop

PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"epochs": 1.0, "max_steps": 30, "lr": 2e-4, "cutoff": 1024, "lora_rank": 8},
    "balanced": {"epochs": 3.0, "max_steps": 0, "lr": 2e-4, "cutoff": 2048, "lora_rank": 8},
    "thorough": {"epochs": 5.0, "max_steps": 0, "lr": 1e-4, "cutoff": 4096, "lora_rank": 16},
}


def _dspin(lo: float, hi: float, value: float, decimals: int, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    pad_spin_box(box)
    return box


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    pad_spin_box(box)
    return box


class TrainOptions(Card):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label(role="h2")
        self.body.addWidget(self.title)
        row = QHBoxLayout()
        self.preset_group = QButtonGroup(self)
        self.presets: dict[str, QPushButton] = {}
        for key in PRESETS:
            btn = QPushButton()
            btn.setObjectName(f"preset_{key}")
            btn.setCheckable(True)
            btn.clicked.connect(lambda _c=False, k=key: self.apply_preset(k))
            self.preset_group.addButton(btn)
            self.presets[key] = btn
            row.addWidget(btn)
        row.addStretch(1)
        self.body.addLayout(row)
        self.preset_hint = label(role="muted", wrap=True)
        self.body.addWidget(self.preset_hint)

        self.lr = _dspin(1e-6, 1e-2, 2e-4, 6, 1e-5)
        self.epochs = _dspin(0.1, 100, 3, 1, 1)
        self.max_steps = _spin(0, 1_000_000, 0)
        self.max_samples = _spin(0, 100_000_000, 0)
        self.max_grad_norm = _dspin(0, 100, 1.0, 2, 0.1)
        self.compute = QComboBox()
        self.compute.addItems(["auto", "bf16", "fp16", "fp32"])
        self.device = QComboBox()
        self.device.addItems(["auto", "cuda", "cpu"])
        self.cutoff = _spin(16, 131072, 2048)
        self.batch_size = _spin(1, 512, 2)
        self.grad_accum = _spin(1, 1024, 8)
        self.val_size = _dspin(-1, 100000, -1, 2, 0.05)
        self.lora_rank = _spin(1, 1024, 8)
        self.lora_alpha = _dspin(0, 4096, 0, 1, 1)
        self.lora_dropout = _dspin(0, 0.9, 0.0, 2, 0.05)
        self.lora_targets = QLineEdit("all-linear")
        self.qlora = QCheckBox()
        holder = QWidget()
        form = QFormLayout(holder)
        form.setContentsMargins(0, 0, 0, 0)
        self.labels: dict[str, QLabel] = {}
        self.fields: dict[str, QWidget] = {
            "lr": self.lr, "epochs": self.epochs, "max_steps": self.max_steps,
            "max_samples": self.max_samples, "max_grad_norm": self.max_grad_norm,
            "compute": self.compute, "device": self.device,
            "cutoff": self.cutoff, "batch_size": self.batch_size, "grad_accum": self.grad_accum,
            "val_size": self.val_size, "lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha,
            "lora_dropout": self.lora_dropout, "lora_targets": self.lora_targets, "qlora": self.qlora,
        }  # fmt: skip
        for key, widget in self.fields.items():
            widget.setObjectName(f"opt_{key}")
            self.labels[key] = QLabel()
            form.addRow(self.labels[key], widget)
            signal = getattr(widget, "valueChanged", None) or getattr(
                widget, "currentIndexChanged", None
            )
            if signal is None:
                signal = getattr(widget, "textChanged", None) or getattr(widget, "toggled")  # noqa: B009
            signal.connect(self.changed)
        self.advanced = Collapsible(holder)
        self.body.addWidget(self.advanced)

        self.where_title = label(role="h3")
        self.gpu_text = label(wrap=True)
        self.gpu_text.setObjectName("GpuText")
        self.fit_text = label(wrap=True)
        self.fit_text.setObjectName("FitText")
        for w in (self.where_title, self.gpu_text, self.fit_text):
            self.body.addWidget(w)
        self.gpu_memory_gb: float | None = None
        self.on_box = False  # training on a remote box: its GPU (when tested) is what must fit
        self.box_memory_gb: float | None = None
        self.gpus: list[Any] | None = None
        self.estimate: Any | None = None
        self.retranslate()
        self.apply_preset("balanced")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- values -----------------------------------------------------------------------------
    def apply_preset(self, key: str) -> None:
        values = PRESETS[key]
        for name, value in values.items():
            getattr(self, name).setValue(value)
        self.presets[key].setChecked(True)
        self.preset_hint.setText(self._preset_hints()[key])

    def spec_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``TrainSpec`` (besides base, data, dataset and out)."""
        val = self.val_size.value()
        return {
            "lr": self.lr.value(), "epochs": self.epochs.value(),
            "max_steps": self.max_steps.value() or None,
            "max_samples": self.max_samples.value() or None,
            "max_grad_norm": self.max_grad_norm.value(), "compute": self.compute.currentText(),
            "device": self.device.currentText(), "cutoff": self.cutoff.value(),
            "batch_size": self.batch_size.value(), "grad_accum": self.grad_accum.value(),
            "val_size": None if val < 0 else val, "lora_rank": self.lora_rank.value(),
            "lora_alpha": self.lora_alpha.value() or None, "lora_dropout": self.lora_dropout.value(),
            "lora_targets": self.lora_targets.text().strip() or "all-linear",
            "qlora": self.qlora.isChecked(),
        }  # fmt: skip

    def set_gpus(self, gpus: list[Any]) -> None:
        self.gpus = gpus
        if gpus:
            self.gpu_memory_gb = max(g.memory_gb for g in gpus)
            text = ", ".join(f"{g.name} ({g.memory_gb:.0f} GB)" for g in gpus)
            self.gpu_text.setText(self.tr("This computer: {gpus}").format(gpus=text))
        else:
            self.gpu_memory_gb = None
            self.gpu_text.setText(self.tr(
                "This computer: no CUDA GPU. Training on the CPU is only for tiny tests."))  # fmt: skip

    def set_where(self, *, on_box: bool, box_memory_gb: float | None) -> None:
        """A remote box was chosen (its tested GPU memory, if known) or this computer."""
        self.on_box, self.box_memory_gb = on_box, box_memory_gb
        self.gpu_text.setVisible(not on_box)
        self.set_fit(self.estimate)

    def set_fit(self, estimate: Any | None) -> bool:
        """Show the memory estimate; False when it will not fit the local GPU."""
        self.estimate = estimate
        if estimate is None:
            self.fit_text.setText("")
            set_prop(self.fit_text, "role", None)
            return True
        have = self.box_memory_gb if self.on_box else self.gpu_memory_gb
        fits = have is None or estimate.total_gb <= have
        text = self.tr("Estimated GPU memory: {need:.1f} GB").format(need=estimate.total_gb)
        if not fits:
            text += " " + self.tr("— more than this GPU's {have:.0f} GB: lower the cutoff or "
                                  "batch size, or turn on QLoRA.").format(have=have)  # fmt: skip
        self.fit_text.setText(text)
        set_prop(self.fit_text, "role", None if fits else "warning")
        return fits

    # -- texts ------------------------------------------------------------------------------
    def _preset_hints(self) -> dict[str, str]:
        return {
            "quick": self.tr("Quick test: 30 steps to see that everything works (minutes)."),
            "balanced": self.tr("Balanced: 3 epochs, good for most datasets."),
            "thorough": self.tr("Thorough: 5 epochs, a larger adapter and longer examples; "
                                "slower, for large datasets."),
        }  # fmt: skip

    def retranslate(self) -> None:
        self.title.setText(self.tr("Settings"))
        self.presets["quick"].setText(self.tr("Quick test"))
        self.presets["balanced"].setText(self.tr("Balanced"))
        self.presets["thorough"].setText(self.tr("Thorough"))
        checked = next((k for k, b in self.presets.items() if b.isChecked()), "balanced")
        self.preset_hint.setText(self._preset_hints()[checked])
        self.advanced.setText(self.tr("Advanced"))
        self.qlora.setText(self.tr("Load the base in 4 bits"))
        self.where_title.setText(self.tr("Where to train"))
        names = {
            "lr": (self.tr("Learning rate"), self.tr(
                "How big each learning step is. Too high: the loss jumps or becomes NaN; too "
                "low: the model barely changes. 2e-4 suits LoRA; lower it if the loss spikes.")),
            "epochs": (self.tr("Epochs"), self.tr(
                "How many times the model reads the whole dataset. More epochs learn more but "
                "can memorise a small dataset; lower it when the eval loss rises.")),
            "max_steps": (self.tr("Max steps"), self.tr(
                "Stop after this many training steps (0: use the epochs). Handy for a quick "
                "test on a big dataset.")),
            "max_samples": (self.tr("Max samples"), self.tr(
                "Train on only the first this many examples of the dataset (0: all of them). "
                "Use it for a quick test of a big dataset, or to see whether more data helps.")),
            "max_grad_norm": (self.tr("Max grad norm"), self.tr(
                "Caps how far one step can move the weights, which keeps training stable. "
                "1.0 is standard; rarely needs changing.")),
            "compute": (self.tr("Compute type"), self.tr(
                "Number format for the arithmetic. auto picks bf16 on GPUs that have it, else "
                "fp16; fp32 is exact but slow and memory-hungry. Change it only if the loss is NaN.")),
            "device": (self.tr("Device"), self.tr(
                "Where to train: auto uses the CUDA GPU when there is one. The CPU is only for "
                "tiny tests.")),
            "cutoff": (self.tr("Cutoff length"), self.tr(
                "The longest example in tokens; longer ones are cut. Raise it when many "
                "examples are truncated (see the histogram); lower it to save memory.")),
            "batch_size": (self.tr("Batch size"), self.tr(
                "Examples processed together on the GPU. Larger is faster but needs more "
                "memory; lower it when you run out of memory.")),
            "grad_accum": (self.tr("Gradient accumulation"), self.tr(
                "Adds up several batches before each step, so batch size × this is the "
                "effective batch. Raise it instead of the batch size to save memory.")),
            "val_size": (self.tr("Validation split"), self.tr(
                "Examples held back to measure the eval loss: a share (0.1 = 10%) or a count; "
                "0 turns it off, -1 is automatic (10% from 50 examples).")),
            "lora_rank": (self.tr("LoRA rank"), self.tr(
                "The size of the adapter. 8 is enough for style and format; 16–64 for teaching "
                "more knowledge, at more memory and a larger file.")),
            "lora_alpha": (self.tr("LoRA alpha"), self.tr(
                "How strongly the adapter acts (0: twice the rank, the usual choice). Change "
                "it together with the learning rate, rarely alone.")),
            "lora_dropout": (self.tr("LoRA dropout"), self.tr(
                "Randomly ignores part of the adapter while training to fight memorising. "
                "0 is fine; try 0.05–0.1 on small datasets that overfit.")),
            "lora_targets": (self.tr("LoRA targets"), self.tr(
                "Which layers get an adapter: all-linear (best quality) or names such as "
                "q_proj,v_proj (smaller, weaker).")),
            "qlora": (self.tr("QLoRA"), self.tr(
                "Keeps the base model in 4 bits so a larger model fits a smaller GPU, a little "
                "slower and slightly less exact. CUDA only.")),
        }  # fmt: skip
        if self.gpus is not None:
            self.set_gpus(self.gpus)
        self.set_fit(self.estimate)
        for key, (name, tip) in names.items():
            self.labels[key].setText(name)
            self.labels[key].setToolTip(tip)
            self.fields[key].setToolTip(tip)
