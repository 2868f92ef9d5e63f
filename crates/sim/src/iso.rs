//! The stand-in VMTools ISO a rehearsal or the demo uploads to the
//! simulator: pseudo-random bytes (zeros would compress to nothing on the
//! wire and in the simulator's digest), the same for the same size.

use std::io::Write;
use std::path::Path;

/// Writes `size` bytes of the stand-in at `path`, 1 MiB at a time (no
/// buffer the size of the file), making its directory if need be.
pub fn write_stand_in_iso(path: &Path, size: u64) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut block = vec![0u8; 1024 * 1024];
    let mut written = 0u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    while written < size {
        for chunk in block.chunks_mut(8) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bytes = seed.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let n = usize::try_from((size - written).min(block.len() as u64)).unwrap_or(block.len());
        file.write_all(&block[..n])?;
        written += n as u64;
    }
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stand_in_has_the_size_asked_and_is_the_same_each_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, b) = (dir.path().join("a/x.iso"), dir.path().join("b.iso"));
        let size = 1024 * 1024 + 13;
        write_stand_in_iso(&a, size).expect("written");
        write_stand_in_iso(&b, size).expect("written");
        let (a, b) = (
            std::fs::read(a).expect("read"),
            std::fs::read(b).expect("read"),
        );
        assert_eq!(a.len() as u64, size);
        assert_eq!(a, b);
        assert!(a.iter().any(|&byte| byte != 0));
    }
}
