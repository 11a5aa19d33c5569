"""hegui (合规): compliance toolkit for generative-AI services under China's rules.

Importing ``hegui`` stays cheap: heavy parts (matchers, models, PDF, video) load lazily.
"""

__version__ = "0.1.0"
