"""The local sandbox: an itellico stand-in API, a local livekit-server and a small offline agent.

With no itellico credentials the app runs against it; every test does. The app talks to the
stand-in exactly as to the real API: only the base URL and the key differ.
"""
