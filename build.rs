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
    let mut text = Vec::new();
    bindings.write(&mut text);
    let header = add_section_banners(&String::from_utf8(text).expect("cbindgen writes UTF-8"));
    let generated = PathBuf::from(env::var("OUT_DIR").unwrap()).join("torchebm.h");
    fs::write(&generated, &header).expect("OUT_DIR is writable");
    // The committed include/torchebm.h is compared with this one by tests/header.rs; it is
    // rewritten only on request (make header), so that a stale copy cannot pass unnoticed.
    // The README's links to the header's sections carry line numbers, which move with the
    // header: they are rewritten with it (tests/header.rs checks them too).
    if env::var_os("TORCHEBM_UPDATE_HEADER").is_some() {
        fs::write(crate_dir.join("include/torchebm.h"), &header).expect("include/torchebm.h is writable");
        let readme_path = crate_dir.join("README.md");
        let readme = fs::read_to_string(&readme_path).expect("README.md is readable");
        fs::write(&readme_path, update_readme_links(&readme, &header)).expect("README.md is writable");
    }
}

/// The header's sections, in header order: a title (what the README links to), the first
/// function of the section (the banner goes above its doc comment) and what it holds. The
/// functions come in the order of src/ffi/mod.rs's modules; constants and types are above
/// them all, near the top of the header.
const SECTIONS: &[(&str, &str, &str)] = &[
    (
        "Errors, versions and runtime",
        "ebm_status_string",
        "status texts and messages, versions, CUDA, threads, task runners",
    ),
    (
        "Energies",
        "ebm_energy_gaussian_new",
        "analytic and composite energies; a handle's name, dimension and device",
    ),
    (
        "Evaluation",
        "ebm_energy_eval_f32",
        "energies, gradients and Hessian-vector products of n points",
    ),
    (
        "User energies",
        "ebm_callback_set_error",
        "energies computed by the caller's C functions",
    ),
    (
        "Samplers",
        "ebm_langevin_default_params",
        "creating samplers, running chains, their samples, statistics and progress",
    ),
    (
        "Chain state",
        "ebm_sampler_get_energies",
        "the chains' energies, momenta and positions between runs",
    ),
    (
        "Tempering",
        "ebm_tempering_default_params",
        "replica exchange (parallel tempering) around any sampler",
    ),
    (
        "Models",
        "ebm_mlp_default_params",
        "neural energies: MLPs, TorchScript modules, saving, loading, parameters",
    ),
    (
        "Training",
        "ebm_cd_default_params",
        "CD and score-matching losses, optimizers, train steps, checkpoints",
    ),
    (
        "Distributed",
        "ebm_optimizer_set_allreduce",
        "all-reduces across processes: data-parallel training, sharded chains",
    ),
    (
        "Datasets",
        "ebm_dataset_default_params",
        "2-D toy datasets and pictures of energy landscapes",
    ),
    ("AIS", "ebm_ais_default_params", "log Z by annealed importance sampling"),
    (
        "Diagnostics",
        "ebm_diagnostics_rhat_f32",
        "R-hat, effective sample sizes and autocorrelations of trajectories",
    ),
];

/// The banner line that README links point at.
fn section_line(title: &str) -> String {
    format!(" * SECTION: {title}")
}

/// Inserts a banner comment above the doc comment of each section's first function.
fn add_section_banners(header: &str) -> String {
    let lines: Vec<&str> = header.lines().collect();
    let mut banners = Vec::new();
    for &(title, first, summary) in SECTIONS {
        let declaration = lines
            .iter()
            .position(|line| {
                let code = !line.starts_with(' ') && !line.starts_with('/');
                code && (line.contains(&format!(" {first}(")) || line.contains(&format!("*{first}(")))
            })
            .unwrap_or_else(|| panic!("build.rs SECTIONS: {first} is not declared in the header"));
        let mut start = declaration;
        while start > 0 && !lines[start].starts_with("/**") {
            start -= 1;
        }
        assert!(start > 0, "build.rs SECTIONS: {first} has no doc comment");
        let rule = "=".repeat(95);
        banners.push((
            start,
            format!("/* {rule}\n{}\n *   {summary}\n * {rule} */\n\n", section_line(title)),
        ));
    }
    assert!(
        banners.windows(2).all(|w| w[0].0 < w[1].0),
        "build.rs SECTIONS are not in the header's order"
    );
    let mut out = String::with_capacity(header.len() + 4096);
    let mut next = banners.iter().peekable();
    for (i, line) in lines.iter().enumerate() {
        if let Some((_, banner)) = next.next_if(|(start, _)| *start == i) {
            out.push_str(banner);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Rewrites the line number of every README link `(include/torchebm.h#L<n> "SECTION: title")`
/// to the line of that section's banner in header.
fn update_readme_links(readme: &str, header: &str) -> String {
    const TARGET: &str = "(include/torchebm.h#L";
    let mut out = String::with_capacity(readme.len());
    let mut rest = readme;
    while let Some(at) = rest.find(TARGET) {
        let (before, link) = rest.split_at(at + TARGET.len());
        out.push_str(before);
        let digits = link.find(|c: char| !c.is_ascii_digit()).unwrap_or(link.len());
        let after = &link[digits..];
        let title = after
            .strip_prefix(" \"SECTION: ")
            .and_then(|t| t.split_once("\")"))
            .map(|(title, _)| title)
            .unwrap_or_else(|| {
                panic!(
                    "README.md: a header link without its \"SECTION: title\": {}",
                    &link[..digits]
                )
            });
        let line = header
            .lines()
            .position(|l| l == section_line(title))
            .unwrap_or_else(|| panic!("README.md links to header section \"{title}\", which has no banner"));
        out.push_str(&(line + 1).to_string());
        rest = after;
    }
    out.push_str(rest);
    out
}
