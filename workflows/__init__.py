"""The process: lifecycle machine, gate rules and the default process configuration."""
