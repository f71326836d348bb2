//! A file of a running process's memory (a snapshot), which may hold secrets: written under a
//! temporary name of mode 0600 beside its final one, which it takes only once complete and
//! never in place of an existing file. Dropped unfinished, nothing is left behind.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct PrivateFile {
    file: File,
    temp: PathBuf,
    out: PathBuf,
}

/// Tells apart the temporary files of one leakhound process.
static NEXT: AtomicU32 = AtomicU32::new(0);

impl PrivateFile {
    /// Starts `out`, refusing at once when it exists.
    pub fn create(out: PathBuf) -> Result<PrivateFile, String> {
        if out.exists() {
            return Err(format!(
                "{} exists; leakhound never replaces a file",
                out.display()
            ));
        }
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".leakhound-{}-{n}.tmp", std::process::id()));
        let file = create_private(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
        Ok(PrivateFile { file, temp, out })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.file
            .write_all(bytes)
            .map_err(|e| format!("{}: {e}", self.out.display()))
    }

    /// Makes the file `out`, complete; its path.
    pub fn finish(self) -> Result<PathBuf, String> {
        self.file
            .sync_all()
            .map_err(|e| format!("{}: {e}", self.out.display()))?;
        // A hard link fails where `out` has appeared meanwhile: never a replace.
        std::fs::hard_link(&self.temp, &self.out)
            .map_err(|e| format!("{}: {e}", self.out.display()))?;
        Ok(self.out.clone())
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

fn create_private(path: &Path) -> std::io::Result<File> {
    private_options().create_new(true).open(path)
}

/// A report or profile (names and strings from the heap, code paths): written in place,
/// readable by its owner only.
pub fn write_private(path: &str, contents: &[u8]) -> std::io::Result<()> {
    private_options()
        .create(true)
        .truncate(true)
        .open(path)?
        .write_all(contents)
}

/// Opening for writing, with mode 0600 for a file it creates.
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}
