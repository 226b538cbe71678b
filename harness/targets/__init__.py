"""Where the devices are: targets behind one interface (`base`), each in a module of
its own, named in `registry`."""
