//! Links libtorchebm against the libtorch that torch-sys found, so that it runs with no
//! LD_LIBRARY_PATH, and generates the C header with cbindgen.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// libtorch major.minor that tch 0.26 is written against.
const EXPECTED_LIBTORCH: (u32, u32) = (2, 13);

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=TORCHEBM_UPDATE_HEADER");
    println!("cargo:rerun-if-env-changed=LIBTORCH_BYPASS_VERSION_CHECK");

    let lib_dir = libtorch_lib_dir();
    let version = libtorch_version(&lib_dir);
    println!("cargo:rustc-env=TORCHEBM_LIBTORCH_VERSION={version}");
    link_libtorch(&lib_dir);
    set_soname();
    compile_generator_shim(&lib_dir);
    generate_header();
}

/// Compiles the C++ shim giving each sampler handle its own libtorch generator.
fn compile_generator_shim(lib_dir: &Path) {
    let source = "src/torch_generator.cpp";
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    let include = lib_dir.parent().expect("libtorch lib dir has a parent").join("include");
    let abi = env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());
    cc::Build::new()
        .cpp(true)
        .pic(true)
        .std("c++20")
        .include(&include)
        .define("_GLIBCXX_USE_CXX11_ABI", abi.as_str())
        .flag_if_supported("-Wno-unused-parameter")
        .file(source)
        .compile("torchebm_generator");
}

/// The lib dir torch-sys linked against, with symlinks (such as ./.libtorch) resolved so that
/// the RUNPATH names the real location.
fn libtorch_lib_dir() -> PathBuf {
    let dir =
        env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys did not report libtorch's lib dir (DEP_TCH_LIBTORCH_LIB)");
    fs::canonicalize(&dir).unwrap_or_else(|e| panic!("libtorch lib dir {dir}: {e}"))
}

/// Reads "major.minor.patch" from libtorch's version header and refuses an unexpected one.
fn libtorch_version(lib_dir: &Path) -> String {
    let include = lib_dir.parent().expect("libtorch lib dir has a parent").join("include");
    let candidates = [
        include.join("torch/headeronly/version.h"),
        include.join("torch/csrc/api/include/torch/version.h"),
    ];
    let header = candidates
        .iter()
        .find_map(|path| fs::read_to_string(path).ok())
        .unwrap_or_else(|| panic!("no torch version header under {}", include.display()));
    let field = |name: &str| -> u32 {
        header
            .lines()
            .find_map(|line| line.trim().strip_prefix(&format!("#define TORCH_VERSION_{name} ")))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("TORCH_VERSION_{name} missing from libtorch's version header"))
    };
    let (major, minor, patch) = (field("MAJOR"), field("MINOR"), field("PATCH"));
    if (major, minor) != EXPECTED_LIBTORCH && env::var_os("LIBTORCH_BYPASS_VERSION_CHECK").is_none() {
        panic!(
            "libtorch {major}.{minor}.{patch} found in {}, but tch 0.26 needs {}.{}; point \
             LIBTORCH at a libtorch {}.{} (or set LIBTORCH_BYPASS_VERSION_CHECK=1 at your own risk)",
            lib_dir.display(),
            EXPECTED_LIBTORCH.0,
            EXPECTED_LIBTORCH.1,
            EXPECTED_LIBTORCH.0,
            EXPECTED_LIBTORCH.1
        );
    }
    format!("{major}.{minor}.{patch}")
}

fn link_libtorch(lib_dir: &Path) {
    let lib = lib_dir.display();
    // RUNPATH (not the legacy RPATH) so that LD_LIBRARY_PATH can still override it; the
    // linker also follows it to libtorch's own dependencies when a program links us.
    println!("cargo:rustc-link-arg=-Wl,--enable-new-dtags");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    // libtorch_cuda is deliberately not kept: nothing references it, so --as-needed drops it,
    // and src/cuda_backend.rs dlopen()s it on first use of libtorch instead, sparing hosts
    // that never need it its load time and memory.
    // Keep the exported symbol table to our own ebm_* functions: the static archives of tch
    // and of compression crates would otherwise export some of their own.
    println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
}

/// Programs linked with -ltorchebm record this SONAME, libtorchebm.so.<major>, not the file
/// name, and load whatever the symlink of that name (the Makefile's build target, make
/// install) leads to: so a release that keeps the major version must keep the ABI.
fn set_soname() {
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("CARGO_PKG_VERSION_MAJOR set by cargo");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtorchebm.so.{major}");
}

fn version_macros() -> String {
    let get = |name: &str| env::var(name).unwrap_or_else(|_| panic!("{name} not set by cargo"));
    let (major, minor, patch) = (
        get("CARGO_PKG_VERSION_MAJOR"),
        get("CARGO_PKG_VERSION_MINOR"),
        get("CARGO_PKG_VERSION_PATCH"),
    );
    let number: u64 = major.parse::<u64>().unwrap() * 1_000_000
        + minor.parse::<u64>().unwrap() * 1_000
        + patch.parse::<u64>().unwrap();
    format!(
        "/** Version of this header: compare with ebm_version() / ebm_version_number() to\n \
         *  check that header and library match. */\n\
         #define EBM_VERSION \"{major}.{minor}.{patch}\"\n\
         #define EBM_VERSION_MAJOR {major}\n\
         #define EBM_VERSION_MINOR {minor}\n\
         #define EBM_VERSION_PATCH {patch}\n\
         /** major * 1000000 + minor * 1000 + patch */\n\
         #define EBM_VERSION_NUMBER {number}\n"
    )
}

fn generate_header() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is readable and valid");
    let extra = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(format!("{}{extra}", version_macros()));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate torchebm.h");
    let generated = PathBuf::from(env::var("OUT_DIR").unwrap()).join("torchebm.h");
    bindings.write_to_file(&generated);
    // The committed include/torchebm.h is compared with this one by tests/header.rs; it is
    // rewritten only on request (make header), so that a stale copy cannot pass unnoticed.
    if env::var_os("TORCHEBM_UPDATE_HEADER").is_some() {
        fs::copy(&generated, crate_dir.join("include/torchebm.h")).expect("include/torchebm.h is writable");
    }
}
