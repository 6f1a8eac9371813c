//! Gives the fuzz binaries a RUNPATH to libtorch's lib dir, as the main crate's build.rs does
//! for its own targets (a dependency's rustc-link-arg does not reach its dependents).
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let dir = std::env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys reports libtorch's lib dir");
    let dir = std::fs::canonicalize(&dir).unwrap_or_else(|e| panic!("libtorch lib dir {dir}: {e}"));
    println!("cargo:rustc-link-arg=-Wl,--enable-new-dtags");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}
