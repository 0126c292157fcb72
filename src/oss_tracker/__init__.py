"""oss-tracker: a local history of open-model publishers on the Hugging Face Hub."""

__version__ = "0.1.0"
