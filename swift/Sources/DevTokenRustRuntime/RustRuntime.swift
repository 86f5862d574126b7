// Intentionally without declarations: this target exists for its linker settings in
// Package.swift (the system libraries the Rust standard library in libdevtoken.a needs), which an
// artifact bundle cannot declare.
