"""The worker role: periodic jobs that keep the stored history in shape."""
