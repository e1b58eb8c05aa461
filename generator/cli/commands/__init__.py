"""The commands of ``drgen``, by family as in ``generator.api`` (``bundles``,
``inventories``, ``discovery``, ``evidence``); ``generator.cli.app`` registers them."""
