"""accord's pytest plugin (entry point ``accord``); it grows with the plugin issue."""
