"""drgen: BizTalk Server disaster-recovery bundles from one reviewed inventory."""

__version__ = "0.1.0"
__all__ = ["__version__"]
