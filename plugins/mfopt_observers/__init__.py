"""First-party observers: plugins that watch a study through the observer hooks and change nothing."""
