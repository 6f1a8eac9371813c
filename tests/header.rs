//! The committed include/torchebm.h is exactly what cbindgen generates from the current
//! sources (build.rs writes the fresh copy into OUT_DIR).

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let generated = std::fs::read_to_string(Path::new(env!("OUT_DIR")).join("torchebm.h")).unwrap();
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/torchebm.h");
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `make header` and commit the result",
        committed_path.display()
    );
}

#[test]
fn header_declares_only_ebm_names() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/torchebm.h")).unwrap();
    for line in header.lines() {
        let declared = line
            .strip_prefix("#define ")
            .or_else(|| line.strip_prefix("typedef struct "))
            .or_else(|| line.strip_prefix("typedef enum "))
            .map(|rest| rest.split_whitespace().next().unwrap_or(""));
        if let Some(name) = declared {
            assert!(
                name.starts_with("EBM_") || name.starts_with("ebm_") || name == "TORCHEBM_H",
                "{line}"
            );
        }
    }
}
