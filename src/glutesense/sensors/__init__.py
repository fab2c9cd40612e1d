"""Sensor models: from what the body does to what a device records.

SIMULATOR side, like :mod:`glutesense.body`; the analyser never imports it.

* :mod:`.emg` — a bipolar surface-EMG amplifier: electrode and amplifier noise,
  power-line interference, 10–500 Hz Butterworth band-pass and ADC
  quantisation (:func:`record_emg`, :class:`EMGParams`).
* :mod:`.accelerometer` — a phone in a back pocket or under the buttock, or a
  hip-worn wearable: orientation, gravity, range, noise density, quantisation and
  sample-time jitter (:func:`record_acc`, :class:`AccelerometerParams`).
"""

from .accelerometer import AccelerometerParams, record_acc
from .emg import EMGParams, record_emg

__all__ = ["EMGParams", "record_emg", "AccelerometerParams", "record_acc"]
