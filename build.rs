//! Regenerates the C header `include/inkjot.h` from `src/ffi/` with cbindgen.
//!
//! The header is committed; it is rewritten only when its content changes, so a build never dirties
//! a clean tree, and CI fails when the committed header differs from the generated one.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let bindings = cbindgen::Builder::new()
        .with_src(root.join("src").join("ffi").join("mod.rs"))
        .with_config(config)
        .generate()
        .unwrap_or_else(|e| panic!("generating include/inkjot.h: {e}"));
    let mut text = Vec::new();
    bindings.write(&mut text);
    let path = root.join("include").join("inkjot.h");
    if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
        std::fs::create_dir_all(path.parent().expect("include/"))
            .unwrap_or_else(|e| panic!("creating include/: {e}"));
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}
