//! Structural checks of a TorchScript archive before libtorch's deserializer reads it.
//!
//! `torch.jit.save` writes a zip file (PyTorch's `PytorchStreamWriter`): entries named
//! `<archive>/data.pkl`, `<archive>/constants.pkl`, `<archive>/code/...`, `<archive>/data/<n>`,
//! `<archive>/version` (or `<archive>/.data/version`), each stored or deflated, with CRC-32s
//! in the central directory and in data descriptors. libtorch trusts these structures, and a
//! corrupted file can crash the process inside it; these checks make sure that every offset
//! and size lies within the file, that local headers agree with the central directory, that
//! every entry's contents match its CRC-32, and that the records libtorch needs are present.
//! A file that passes still reaches libtorch's unpickler and TorchScript compiler, which are
//! not hardened against deliberately crafted (CRC-consistent) archives.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{Error, Result};

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const EOCD_LEN: u64 = 22;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_LOCATOR_LEN: u64 = 20;
const ZIP64_EOCD_SIGNATURE: u32 = 0x0606_4b50;
const ZIP64_EOCD_LEN: u64 = 56;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const CENTRAL_LEN: usize = 46;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
const LOCAL_LEN: u64 = 30;
const DESCRIPTOR_SIGNATURE: u32 = 0x0807_4b50;
const MAX_COMMENT: u64 = 0xFFFF;

const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;
const FLAG_ENCRYPTED: u16 = 1;
const FLAG_DESCRIPTOR: u16 = 1 << 3;
/// The general-purpose flags an archive libtorch reads may carry: deflate's speed options
/// (bits 1-2), a data descriptor (3) and UTF-8 names (11). libtorch's miniz refuses the
/// others (encryption, patches, masked headers) after it has allocated its reader, which it
/// then leaks: they must be refused here.
const FLAGS_ALLOWED: u16 = (1 << 1) | (1 << 2) | FLAG_DESCRIPTOR | (1 << 11);

/// One entry of the central directory.
struct Entry {
    name: String,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    local_offset: u64,
    /// Whether any of the sizes or the offset needed the zip64 extra field.
    zip64: bool,
}

/// Checks that `path` is a well-formed, uncorrupted TorchScript archive; errors name `path`.
pub(crate) fn validate(path: &Path) -> Result<()> {
    let file = File::open(path).map_err(|e| io_error(path, &e))?;
    let len = file.metadata().map_err(|e| io_error(path, &e))?.len();
    let archive = Archive { file, len, path };
    archive.check()
}

fn io_error(path: &Path, e: &io::Error) -> Error {
    Error::Io {
        arg: "path",
        reason: format!("{}: {e}", path.display()),
    }
}

struct Archive<'a> {
    file: File,
    len: u64,
    path: &'a Path,
}

/// Little-endian fields of a byte slice whose length was checked by the caller.
fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

impl Archive<'_> {
    fn corrupt(&self, what: impl std::fmt::Display) -> Error {
        Error::Format {
            arg: "path",
            reason: format!("{} is not a valid TorchScript archive: {what}", self.path.display()),
        }
    }

    /// `len` bytes at `offset`, which must lie within the file.
    fn read(&self, offset: u64, len: u64, what: &str) -> Result<Vec<u8>> {
        let end = offset.checked_add(len).filter(|end| *end <= self.len);
        if end.is_none() {
            return Err(self.corrupt(format!(
                "the {what} at offset {offset} ({len} bytes) runs past the end of the {}-byte file",
                self.len
            )));
        }
        let mut buffer = vec![0; len as usize];
        self.file
            .read_exact_at(&mut buffer, offset)
            .map_err(|e| io_error(self.path, &e))?;
        Ok(buffer)
    }

    fn check(&self) -> Result<()> {
        if self.len < EOCD_LEN {
            return Err(self.corrupt(format!("the file has only {} bytes (truncated?)", self.len)));
        }
        let (entries, directory_start) = self.central_directory()?;
        // Every entry's local header, data and descriptor, in file order, without overlaps,
        // all before the central directory.
        let mut order: Vec<&Entry> = entries.iter().collect();
        order.sort_by_key(|e| e.local_offset);
        let mut previous_end = 0u64;
        for entry in order {
            if entry.local_offset < previous_end {
                return Err(self.corrupt(format!("entry '{}' overlaps the entry before it", entry.name)));
            }
            previous_end = self.check_entry(entry, directory_start)?;
        }
        self.check_records(&entries)
    }

    /// The central directory's entries and its offset.
    fn central_directory(&self) -> Result<(Vec<Entry>, u64)> {
        let tail_len = self.len.min(EOCD_LEN + MAX_COMMENT);
        let tail_start = self.len - tail_len;
        let tail = self.read(tail_start, tail_len, "end of the file")?;
        // The end-of-central-directory record whose comment runs exactly to the end.
        let eocd = (0..=tail.len() - EOCD_LEN as usize)
            .rev()
            .find(|&i| {
                u32_at(&tail, i) == EOCD_SIGNATURE
                    && i + EOCD_LEN as usize + u16_at(&tail, i + 20) as usize == tail.len()
            })
            .ok_or_else(|| self.corrupt("no zip end-of-central-directory record (truncated, or not a zip file)"))?;
        let record = &tail[eocd..];
        let eocd_offset = tail_start + eocd as u64;
        let (disk, directory_disk) = (u16_at(record, 4), u16_at(record, 6));
        let (mut disk_entries, mut count) = (u64::from(u16_at(record, 8)), u64::from(u16_at(record, 10)));
        let (mut size, mut start) = (u64::from(u32_at(record, 12)), u64::from(u32_at(record, 16)));
        if disk != 0 || directory_disk != 0 {
            return Err(self.corrupt("a multi-disk zip archive"));
        }
        let mut directory_limit = eocd_offset;
        // A zip64 locator just before the record points at the zip64 record, which holds the
        // real counts, size and offset.
        if eocd_offset >= ZIP64_LOCATOR_LEN {
            let locator = self.read(eocd_offset - ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_LEN, "zip64 locator")?;
            if u32_at(&locator, 0) == ZIP64_LOCATOR_SIGNATURE {
                let at = u64_at(&locator, 8);
                if at
                    .checked_add(ZIP64_EOCD_LEN)
                    .map_or(true, |end| end > eocd_offset - ZIP64_LOCATOR_LEN)
                {
                    return Err(self.corrupt(format!(
                        "the zip64 end-of-central-directory offset {at} is out of range"
                    )));
                }
                let zip64 = self.read(at, ZIP64_EOCD_LEN, "zip64 end-of-central-directory record")?;
                if u32_at(&zip64, 0) != ZIP64_EOCD_SIGNATURE
                    || u64_at(&zip64, 4).checked_add(12 + at) != Some(eocd_offset - ZIP64_LOCATOR_LEN)
                {
                    return Err(self.corrupt("no zip64 end-of-central-directory record where the locator points"));
                }
                if u32_at(&zip64, 16) != 0 || u32_at(&zip64, 20) != 0 || u32_at(&locator, 16) != 1 {
                    return Err(self.corrupt("a multi-disk zip archive"));
                }
                // Readers differ in which record they believe: both must say the same.
                let agree = |narrow: u64, saturated: u64, wide: u64| narrow == saturated || narrow == wide;
                let (wide_disk_entries, wide_count) = (u64_at(&zip64, 24), u64_at(&zip64, 32));
                let (wide_size, wide_start) = (u64_at(&zip64, 40), u64_at(&zip64, 48));
                if !agree(disk_entries, 0xFFFF, wide_disk_entries)
                    || !agree(count, 0xFFFF, wide_count)
                    || !agree(size, 0xFFFF_FFFF, wide_size)
                    || !agree(start, 0xFFFF_FFFF, wide_start)
                {
                    return Err(self.corrupt("the zip64 and zip end-of-central-directory records disagree"));
                }
                (disk_entries, count, size, start) = (wide_disk_entries, wide_count, wide_size, wide_start);
                directory_limit = at;
            }
        }
        if disk_entries != count {
            return Err(self.corrupt("a multi-disk zip archive"));
        }
        if start.checked_add(size).map_or(true, |end| end > directory_limit) {
            return Err(self.corrupt(format!(
                "the central directory ({size} bytes at offset {start}) does not end before its end record at {directory_limit}"
            )));
        }
        if count == 0 || count > size / CENTRAL_LEN as u64 {
            return Err(self.corrupt(format!("{count} entries cannot fit in a {size}-byte central directory")));
        }
        let directory = self.read(start, size, "central directory")?;
        let mut entries = Vec::with_capacity(count as usize);
        let mut at = 0usize;
        for index in 0..count {
            let entry = self.central_entry(&directory, &mut at, index)?;
            if entries.iter().any(|e: &Entry| e.name == entry.name) {
                return Err(self.corrupt(format!("entry '{}' appears twice", entry.name)));
            }
            entries.push(entry);
        }
        if at != directory.len() {
            return Err(self.corrupt(format!(
                "the central directory has {} bytes after its {count} entries",
                directory.len() - at
            )));
        }
        Ok((entries, start))
    }

    /// Parses the central directory entry at `*at`, advancing `*at` past it.
    fn central_entry(&self, directory: &[u8], at: &mut usize, index: u64) -> Result<Entry> {
        let bad = |what: &str| self.corrupt(format!("central directory entry {index}: {what}"));
        let header = directory
            .get(*at..*at + CENTRAL_LEN)
            .ok_or_else(|| bad("runs past the end of the central directory"))?;
        if u32_at(header, 0) != CENTRAL_SIGNATURE {
            return Err(bad("bad signature"));
        }
        let flags = u16_at(header, 8);
        let method = u16_at(header, 10);
        let crc = u32_at(header, 16);
        let mut compressed = u64::from(u32_at(header, 20));
        let mut uncompressed = u64::from(u32_at(header, 24));
        let name_len = u16_at(header, 28) as usize;
        let extra_len = u16_at(header, 30) as usize;
        let comment_len = u16_at(header, 32) as usize;
        let disk = u16_at(header, 34);
        let mut local_offset = u64::from(u32_at(header, 42));
        let variable = directory
            .get(*at + CENTRAL_LEN..*at + CENTRAL_LEN + name_len + extra_len + comment_len)
            .ok_or_else(|| bad("its name, extra field or comment runs past the end of the central directory"))?;
        *at += CENTRAL_LEN + name_len + extra_len + comment_len;
        let name = std::str::from_utf8(&variable[..name_len])
            .ok()
            .filter(|n| !n.is_empty() && n.bytes().all(|b| (0x20..0x7f).contains(&b)))
            .ok_or_else(|| bad("its name is not a non-empty printable ASCII string"))?
            .to_string();
        let bad = |what: String| self.corrupt(format!("entry '{name}': {what}"));
        if flags & FLAG_ENCRYPTED != 0 {
            return Err(bad("is encrypted".into()));
        }
        if flags & !FLAGS_ALLOWED != 0 {
            return Err(bad(format!("has unsupported general-purpose flags {flags:#06x}")));
        }
        if method != METHOD_STORED && method != METHOD_DEFLATED {
            return Err(bad(format!("unsupported compression method {method}")));
        }
        // The zip64 extra field replaces, in this order, whichever of the sizes and offset
        // were saturated.
        let mut zip64 = false;
        let needs = [uncompressed, compressed, local_offset].map(|v| v == u64::from(u32::MAX));
        let needs_disk = disk == u16::MAX;
        if needs.iter().any(|n| *n) || needs_disk {
            zip64 = true;
            let mut extra = &variable[name_len..name_len + extra_len];
            let mut field = None;
            while extra.len() >= 4 {
                let (id, size) = (u16_at(extra, 0), u16_at(extra, 2) as usize);
                let body = extra
                    .get(4..4 + size)
                    .ok_or_else(|| bad("truncated extra field".into()))?;
                if id == 0x0001 {
                    field = Some(body);
                    break;
                }
                extra = &extra[4 + size..];
            }
            let mut field = field.ok_or_else(|| bad("saturated sizes without a zip64 extra field".into()))?;
            for (need, value) in needs
                .iter()
                .zip([&mut uncompressed, &mut compressed, &mut local_offset])
            {
                if *need {
                    if field.len() < 8 {
                        return Err(bad("truncated zip64 extra field".into()));
                    }
                    *value = u64_at(field, 0);
                    field = &field[8..];
                }
            }
            if needs_disk {
                if field.len() < 4 {
                    return Err(bad("truncated zip64 extra field".into()));
                }
                if u32_at(field, 0) != 0 {
                    return Err(bad("lies on another disk".into()));
                }
            }
        } else if disk != 0 {
            return Err(bad("lies on another disk".into()));
        }
        if method == METHOD_STORED && compressed != uncompressed {
            return Err(bad(format!(
                "stored with {compressed} bytes but {uncompressed} uncompressed"
            )));
        }
        Ok(Entry {
            name,
            flags,
            method,
            crc,
            compressed,
            uncompressed,
            local_offset,
            zip64,
        })
    }

    /// Checks an entry's local header, data descriptor and contents; returns where it ends.
    fn check_entry(&self, entry: &Entry, directory_start: u64) -> Result<u64> {
        let bad = |what: String| self.corrupt(format!("entry '{}': {what}", entry.name));
        let in_range = |offset: u64, len: u64| offset.checked_add(len).filter(|end| *end <= directory_start);
        let header_end = in_range(entry.local_offset, LOCAL_LEN)
            .ok_or_else(|| bad(format!("local header offset {} is out of range", entry.local_offset)))?;
        let header = self.read(entry.local_offset, LOCAL_LEN, "local header")?;
        if u32_at(&header, 0) != LOCAL_SIGNATURE {
            return Err(bad(format!("no local header at offset {}", entry.local_offset)));
        }
        let (flags, method) = (u16_at(&header, 6), u16_at(&header, 8));
        if flags & !FLAGS_ALLOWED != 0 {
            return Err(self.corrupt(format!(
                "entry '{}': its local header has unsupported general-purpose flags {flags:#06x}",
                entry.name
            )));
        }
        if method != entry.method || (flags & FLAG_DESCRIPTOR) != (entry.flags & FLAG_DESCRIPTOR) {
            return Err(bad("the local header disagrees with the central directory".into()));
        }
        let (name_len, extra_len) = (u64::from(u16_at(&header, 26)), u64::from(u16_at(&header, 28)));
        let name_end = in_range(header_end, name_len).ok_or_else(|| bad("local header out of range".into()))?;
        let data_start = in_range(name_end, extra_len).ok_or_else(|| bad("local header out of range".into()))?;
        if self.read(header_end, name_len, "local header")? != entry.name.as_bytes() {
            return Err(bad("the local header names another entry".into()));
        }
        if flags & FLAG_DESCRIPTOR == 0 {
            let (crc, compressed, uncompressed) = (u32_at(&header, 14), u32_at(&header, 18), u32_at(&header, 22));
            let sizes_match = if compressed == u32::MAX && uncompressed == u32::MAX {
                entry.zip64
            } else {
                u64::from(compressed) == entry.compressed && u64::from(uncompressed) == entry.uncompressed
            };
            if crc != entry.crc || !sizes_match {
                return Err(bad("the local header disagrees with the central directory".into()));
            }
        }
        let data_end = in_range(data_start, entry.compressed).ok_or_else(|| {
            bad(format!(
                "its {} bytes of data run into the central directory",
                entry.compressed
            ))
        })?;
        let end = if flags & FLAG_DESCRIPTOR != 0 {
            self.check_descriptor(entry, data_end, directory_start)?
        } else {
            data_end
        };
        let crc = self.contents_crc(entry, data_start)?;
        if crc != entry.crc {
            return Err(bad(format!(
                "CRC-32 {crc:08x} of its contents differs from the recorded {:08x}",
                entry.crc
            )));
        }
        Ok(end)
    }

    /// Checks the data descriptor at `at` (with or without its signature, 32- or 64-bit sizes)
    /// against the central directory; returns where it ends.
    fn check_descriptor(&self, entry: &Entry, at: u64, directory_start: u64) -> Result<u64> {
        let available = directory_start.saturating_sub(at).min(28);
        let bytes = self.read(at, available, "data descriptor")?;
        let signed = bytes.len() >= 4 && u32_at(&bytes, 0) == DESCRIPTOR_SIGNATURE;
        let body = if signed { &bytes[4..] } else { &bytes[..] };
        let matches32 = body.len() >= 12
            && u32_at(body, 0) == entry.crc
            && u64::from(u32_at(body, 4)) == entry.compressed
            && u64::from(u32_at(body, 8)) == entry.uncompressed;
        let matches64 = body.len() >= 20
            && u32_at(body, 0) == entry.crc
            && u64_at(body, 4) == entry.compressed
            && u64_at(body, 12) == entry.uncompressed;
        let signature = if signed { 4 } else { 0 };
        if matches32 {
            Ok(at + signature + 12)
        } else if matches64 {
            Ok(at + signature + 20)
        } else {
            Err(self.corrupt(format!(
                "entry '{}': its data descriptor disagrees with the central directory",
                entry.name
            )))
        }
    }

    /// The CRC-32 of an entry's uncompressed contents, checking their length.
    fn contents_crc(&self, entry: &Entry, data_start: u64) -> Result<u32> {
        let mut reader = FileRange::new(&self.file, data_start, entry.compressed);
        let mut hasher = crc32fast::Hasher::new();
        let mut buffer = vec![0u8; 1 << 16];
        let mut total = 0u64;
        let read_error = |e: io::Error| match e.kind() {
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                self.corrupt(format!("entry '{}': its compressed data is invalid ({e})", entry.name))
            }
            _ => io_error(self.path, &e),
        };
        let mut consume = |chunk: &[u8]| -> Result<()> {
            total += chunk.len() as u64;
            if total > entry.uncompressed {
                return Err(self.corrupt(format!(
                    "entry '{}': its contents are longer than the recorded {} bytes",
                    entry.name, entry.uncompressed
                )));
            }
            hasher.update(chunk);
            Ok(())
        };
        if entry.method == METHOD_STORED {
            loop {
                let n = reader.read(&mut buffer).map_err(read_error)?;
                if n == 0 {
                    break;
                }
                consume(&buffer[..n])?;
            }
        } else {
            let mut decoder = flate2::read::DeflateDecoder::new(&mut reader);
            loop {
                let n = decoder.read(&mut buffer).map_err(read_error)?;
                if n == 0 {
                    break;
                }
                consume(&buffer[..n])?;
            }
            if decoder.total_in() != entry.compressed {
                return Err(self.corrupt(format!(
                    "entry '{}': its deflate stream ends after {} of its {} bytes",
                    entry.name,
                    decoder.total_in(),
                    entry.compressed
                )));
            }
        }
        if total != entry.uncompressed {
            return Err(self.corrupt(format!(
                "entry '{}': its contents have {total} bytes, not the recorded {}",
                entry.name, entry.uncompressed
            )));
        }
        Ok(hasher.finalize())
    }

    /// The records libtorch's TorchScript loader reads, under one archive directory.
    fn check_records(&self, entries: &[Entry]) -> Result<()> {
        let first = &entries[0].name;
        let archive = first
            .split_once('/')
            .map(|(dir, _)| dir)
            .filter(|dir| !dir.is_empty())
            .ok_or_else(|| self.corrupt(format!("entry '{first}' is not inside an archive directory")))?;
        let prefix = format!("{archive}/");
        if let Some(stray) = entries.iter().find(|e| !e.name.starts_with(&prefix)) {
            return Err(self.corrupt(format!(
                "entry '{}' is outside the archive directory '{archive}'",
                stray.name
            )));
        }
        let has = |record: &str| entries.iter().any(|e| e.name[prefix.len()..] == *record);
        let missing = if !has("data.pkl") {
            Some("data.pkl")
        } else if !has("version") && !has(".data/version") {
            Some("version")
        } else if !has("constants.pkl") {
            Some("constants.pkl (a torch.save file rather than a TorchScript module?)")
        } else if !entries.iter().any(|e| e.name[prefix.len()..].starts_with("code/")) {
            Some("code/ (a torch.save file rather than a TorchScript module?)")
        } else {
            None
        };
        match missing {
            Some(record) => Err(self.corrupt(format!("no record {archive}/{record}"))),
            None => Ok(()),
        }
    }
}

/// `len` bytes of a file from `offset`, as a reader.
struct FileRange<'a> {
    file: &'a File,
    offset: u64,
    remaining: u64,
}

impl<'a> FileRange<'a> {
    fn new(file: &'a File, offset: u64, len: u64) -> Self {
        FileRange {
            file,
            offset,
            remaining: len,
        }
    }
}

impl Read for FileRange<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let want = (buffer.len() as u64).min(self.remaining) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buffer[..want], self.offset)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while being read",
            ));
        }
        self.offset += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}
