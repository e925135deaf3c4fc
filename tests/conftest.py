"""Test-wide settings: Qt never needs a screen."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
