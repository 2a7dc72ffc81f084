//! Python bindings for sandvol (being built).
