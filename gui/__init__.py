"""FL_PyTorch desktop GUI (PyQt5); talks to the simulator only through fl_pytorch's public API."""
