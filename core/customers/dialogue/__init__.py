"""The intake dialogue: one channel-agnostic conversation that every chat adapter speaks."""
