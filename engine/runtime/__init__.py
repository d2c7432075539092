"""The training runtime: a Python environment with this Tuneforge version and its ``train``
extra. :mod:`engine.runtime.plan` says what to install and how; ``tuneforge remote setup``
runs its commands on a box over SSH, the local runtime (issue 16) will run them here."""
