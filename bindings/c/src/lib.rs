//! C ABI for sandvol (being built).
