"""MAX, the national messenger (issue 10): so far only the rendering of posts.

No ``platform`` module yet, on purpose: ``bots/registry.py`` discovers a platform by that
module, and MAX is not a platform until it can publish and run the hotlines.
"""
