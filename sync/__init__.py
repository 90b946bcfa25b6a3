"""Offline sync: the protocol (`PROTOCOL.md`), its messages, clock and decisions.

Pure: imports nothing of the server, so a device, a kiosk or a test can use it alone.
"""
