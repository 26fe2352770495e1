"""essgraph: the knowledge graph of the social and solidarity economy (ESS).

The package reads as the data flow: load -> reason -> validate -> store -> query -> serve.
"""

__version__ = "0.1.0"
