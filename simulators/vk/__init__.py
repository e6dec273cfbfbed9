"""A strict fake of the VK API (v5.199) for Glashatai's tests.

``FakeVK`` serves ``/method/{name}``, Bots Long Poll and upload URLs from a
background thread; see ``fake.py`` for the public API.
"""

from .fake import FakeVK

__all__ = ["FakeVK"]
