"""Tuneforge's own C K-quant encoder (``kquant.c``), built by ``dev.py setup`` and the
installer with :mod:`engine.quant.native.build`; loaded by :mod:`engine.quant.kquant`."""
