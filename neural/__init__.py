"""Neural energy models on the shared backend: Hopfield memory, predictive coding."""

from neural.hopfield import HopfieldError, HopfieldNetwork, RecallResult
from neural.predictive_coding import Inference, PredictiveCodingNetwork, TwoLevelPC

__all__ = ["HopfieldError", "HopfieldNetwork", "Inference", "PredictiveCodingNetwork", "RecallResult", "TwoLevelPC"]
