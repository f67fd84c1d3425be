//! Generates the C header `inkjot.h` from `src/ffi/` with cbindgen into `OUT_DIR`, and tells the
//! CLI which LM file the English pack it embeds has (`INKJOT_EMBEDDED_EN_LM`: `models/en/lm.bin`
//! when there is one, else `models/en/lm.fst`).
//!
//! The build never writes the source tree (so `cargo package` and read-only checkouts work).
//! The committed `include/inkjot.h` is compared with the generated one by `tests/header.rs`, which
//! also rewrites it on request: `INKJOT_BLESS_HEADER=1 cargo test --release --test header`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=models/en");
    let en = root.join("models").join("en");
    let lm = ["lm.bin", "lm.fst"]
        .into_iter()
        .map(|f| en.join(f))
        .find(|p| p.is_file())
        .unwrap_or_else(|| en.join("lm.fst"));
    println!("cargo:rustc-env=INKJOT_EMBEDDED_EN_LM={}", lm.display());
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let bindings = cbindgen::Builder::new()
        .with_src(root.join("src").join("ffi").join("mod.rs"))
        .with_config(config)
        .generate()
        .unwrap_or_else(|e| panic!("generating inkjot.h: {e}"));
    let path = out.join("inkjot.h");
    let mut text = Vec::new();
    bindings.write(&mut text);
    // Rewritten only when it changes, so dependents of the file are not rebuilt for nothing.
    if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}
