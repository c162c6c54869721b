"""preconcile: GitOps for Amazon Personalize.

A YAML manifest declares a dataset group and everything in it; ``preconcile plan`` shows
what would change and ``preconcile apply`` makes the account (real AWS or the embedded
local Personalize) match.
"""

__version__ = "0.1.0"
