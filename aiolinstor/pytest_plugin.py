"""pytest fixtures for testing code that talks to LINSTOR, backed by the emulator."""
