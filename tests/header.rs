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

/// The README's API table links each area to its header section as
/// `[area](include/torchebm.h#L<n> "SECTION: <title>")`: line n of the header must be that
/// section's banner, every section must be linked, and every row of the table must link.
#[test]
fn readme_links_point_at_header_sections() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(root.join("include/torchebm.h")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let header_lines: Vec<&str> = header.lines().collect();
    let sections: Vec<&str> = header_lines
        .iter()
        .filter_map(|l| l.strip_prefix(" * SECTION: "))
        .collect();
    assert!(
        sections.len() >= 12,
        "the header has {} section banners",
        sections.len()
    );

    const TARGET: &str = "(include/torchebm.h#L";
    let mut linked = Vec::new();
    for (at, _) in readme.match_indices(TARGET) {
        let link = &readme[at + TARGET.len()..];
        let digits = link.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
        let line: usize = link[..digits].parse().expect("a line number after #L");
        let title = link[digits..]
            .strip_prefix(" \"SECTION: ")
            .and_then(|t| t.split_once("\")"))
            .map(|(title, _)| title)
            .unwrap_or_else(|| panic!("README link to header line {line} lacks its \"SECTION: title\""));
        let expected = header_lines.iter().position(|l| *l == format!(" * SECTION: {title}"));
        assert!(
            expected.is_some(),
            "README links to section \"{title}\", which the header does not have"
        );
        assert_eq!(
            Some(line - 1),
            expected,
            "README's link to \"{title}\" points at header line {line}, but the banner is on line {}: \
             run `make header` (it rewrites the links)",
            expected.unwrap() + 1
        );
        linked.push(title);
    }
    for section in &sections {
        assert!(
            linked.contains(section),
            "no README link to header section \"{section}\""
        );
    }
    let table = readme
        .split("## The API at a glance")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").find(|block| block.starts_with("| area |")))
        .expect("README's API table");
    for row in table.lines().skip(2) {
        assert!(
            row.starts_with("| [") && row.contains(TARGET),
            "API table row without a section link: {row}"
        );
    }
}
