"""revarch: the SMARTSCALING revenue system on a company's own CRM data."""

from revarch.workspace import Workspace, init_workspace, open_workspace

__version__ = "0.1.0"

__all__ = ["Workspace", "__version__", "init_workspace", "open_workspace"]
