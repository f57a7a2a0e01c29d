"""The pure-Python edgebench target: `python -m edgebench.target --runtime R` serves a
deployment runtime over the edgebench wire protocol (docs/protocol.md)."""
