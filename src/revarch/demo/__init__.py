"""The demo company generator: a believable B2B company as a Salesforce export."""

from revarch.demo.create import DemoSummary, create_demo

__all__ = ["DemoSummary", "create_demo"]
