"""The :class:`HarmDetector` contract: should this cheap source be used, given the sample in hand?"""

from __future__ import annotations

from abc import ABC, abstractmethod

from mfopt.data import Dataset, Decision


class HarmDetector(ABC):
    """Judges one cheap source against the target from the training sample only.

    :meth:`assess` receives a dataset holding exactly two fidelities, the cheap source first and
    the target second, and returns a :class:`~mfopt.data.Decision` with the features it used, the
    rule that fired and a one-sentence reason. It must not evaluate the problem.
    """

    @abstractmethod
    def assess(self, data: Dataset) -> Decision:
        """Decide whether the cheap source in ``data`` may be fused with the target."""
