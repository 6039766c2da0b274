"""The satisfaction survey: asked when a case is resolved, answered once, chased after."""
