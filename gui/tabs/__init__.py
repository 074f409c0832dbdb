"""The main window's tabs: Configuration, Simulation, Analysis."""
