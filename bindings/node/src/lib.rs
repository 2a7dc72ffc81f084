//! Node bindings for sandvol (being built).
