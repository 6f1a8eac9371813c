//! Files the library writes: built under a unique temporary name beside the target, then
//! renamed over it.
//!
//! A failed write never leaves half a file, and concurrent saves (to the same path or to
//! others in one directory) never touch each other's temporaries or any file of the user's.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// An I/O error on `path`, named as the `path` argument.
pub(crate) fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Io {
        arg: "path",
        reason: format!("cannot {what} {}: {e}", path.display()),
    }
}

/// Creates `path` (or replaces it) with what `fill` writes into a temporary file in the same
/// directory; `fill` gets the temporary's path and open file. The temporary's name ends in
/// `extension` (e.g. ".png"), for writers that choose a format by it.
pub(crate) fn replace(path: &Path, extension: &str, fill: impl FnOnce(&Path, &mut File) -> Result<()>) -> Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::invalid("path", "names no file"))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name.to_string_lossy()))
        .suffix(&format!(".tmp{extension}"))
        .tempfile_in(directory)
        .map_err(|e| io_error(path, "create a temporary file beside", e))?;
    let temporary_path = temporary.path().to_path_buf();
    fill(&temporary_path, temporary.as_file_mut())?;
    temporary.as_file().sync_all().map_err(|e| io_error(path, "write", e))?;
    temporary.persist(path).map_err(|e| io_error(path, "write", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn replaces_atomically_and_leaves_neighbours_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run.safetensors");
        let neighbour = dir.path().join("run.partial");
        std::fs::write(&neighbour, b"the user's").unwrap();
        replace(&target, "", |_, f| {
            f.write_all(b"one").map_err(|e| io_error(&target, "write", e))
        })
        .unwrap();
        replace(&target, "", |_, f| {
            f.write_all(b"two").map_err(|e| io_error(&target, "write", e))
        })
        .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert_eq!(std::fs::read(&neighbour).unwrap(), b"the user's");
        let failed = replace(&target, "", |_, _| Err(Error::invalid("x", "no")));
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary is left"
        );
        let missing = dir.path().join("no/such/dir/file.png");
        assert!(matches!(
            replace(&missing, ".png", |_, _| Ok(())),
            Err(Error::Io { arg: "path", .. })
        ));
    }
}
