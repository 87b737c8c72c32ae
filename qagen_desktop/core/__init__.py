"""The core: everything that never imports Qt. The window (`ui`) and `qagen` (`cli`) drive it."""
