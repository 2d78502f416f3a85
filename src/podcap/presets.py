"""Ready-made cluster settings (``podcap.presets.eks_auto_mode()``); defined in
:mod:`podcap.model.presets`."""

from podcap.model.presets import AUTO_MODE_NODE_POOLS, eks_auto_mode

__all__ = ["AUTO_MODE_NODE_POOLS", "eks_auto_mode"]
