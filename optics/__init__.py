"""codesign.optics: optical line-system simulator (SimPy + GN model), OPM data sets,
clustering-based tap (eavesdrop) detection and in-line localization, supervised-baseline and fully unsupervised. See docs/optics.md."""

from .elements import Edfa, Fiber, Roadm, Transmitter, Voa
from .errors import OpticsFileNotFound, OpticsInputError
from .line import Line
from .state import LineState
from .receiver import Receiver, ber_from_snr, q_db_from_ber
from .spectrum import ChannelPlan, SpectralInfo
from .topology import line_from_graph, load_gnpy_line
from .dataset import OpmDataset, load_dataset, save_dataset
from .scenario import Scenario, load_scenario
from .simulate import simulate_dataset
from .detect import TapDetector
from .localize import TapLocalizer
from .unsupervised import ClusterTapDetector, CoarseLocalizer, SpanLocalizer, label_matching_accuracy
from .benign import EventAttributor

__all__ = ["Edfa", "Fiber", "Roadm", "Transmitter", "Voa", "OpticsFileNotFound", "OpticsInputError",
           "Line", "LineState", "Receiver", "ber_from_snr", "q_db_from_ber", "ChannelPlan", "SpectralInfo",
           "line_from_graph", "load_gnpy_line", "OpmDataset", "load_dataset", "save_dataset",
           "Scenario", "load_scenario", "simulate_dataset", "TapDetector", "TapLocalizer",
           "ClusterTapDetector", "CoarseLocalizer", "SpanLocalizer", "label_matching_accuracy", "EventAttributor"]
