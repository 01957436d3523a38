//! Content-addressed blobs of an OCI image layout (`blobs/sha256/<hex>`), and gzip-compressed
//! layers written in one pass: the tar stream is hashed before compression (the layer's
//! `diff_id`) and after it (the blob's digest).

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A blob in the store: `sha256:<hex>` and its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
}

/// A compressed layer blob with the digest of its uncompressed tar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerBlob {
    pub blob: Blob,
    pub diff_id: String,
}

/// `sha256:<hex>` of a finished hasher.
fn digest_of(hasher: Sha256) -> String {
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(bytes);
    digest_of(hasher)
}

/// A writer that hashes and counts what passes through it.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// The inner writer, the digest and the byte count.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, digest_of(self.hasher), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buffer)?;
        self.hasher.update(&buffer[..written]);
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The `blobs/sha256` directory of an image layout being assembled.
pub struct BlobStore {
    directory: PathBuf,
}

impl BlobStore {
    /// Uses (and creates) `layout/blobs/sha256`.
    pub fn create(layout: &Path) -> io::Result<BlobStore> {
        let directory = layout.join("blobs/sha256");
        fs::create_dir_all(&directory)?;
        Ok(BlobStore { directory })
    }

    /// Where the blob with this digest lives.
    pub fn path(&self, digest: &str) -> PathBuf {
        self.directory
            .join(digest.strip_prefix("sha256:").unwrap_or(digest))
    }

    /// Stores bytes (a config, a manifest).
    pub fn put_bytes(&self, bytes: &[u8]) -> io::Result<Blob> {
        let digest = sha256_digest(bytes);
        fs::write(self.path(&digest), bytes)?;
        Ok(Blob {
            digest,
            size: bytes.len() as u64,
        })
    }

    /// Copies a blob whose digest is known (a cached layer, a base image's layer), checking it.
    pub fn put_file(&self, source: &Path, expected: &str) -> io::Result<Blob> {
        let temporary = self.directory.join(".incoming");
        let result = (|| {
            let mut input = fs::File::open(source)?;
            let mut output = HashingWriter::new(BufWriter::new(fs::File::create(&temporary)?));
            io::copy(&mut input, &mut output)?;
            let (mut file, digest, size) = output.finish();
            file.flush()?;
            if digest != expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} has digest {digest}, expected {expected} (a corrupt cache or archive)",
                        source.display()
                    ),
                ));
            }
            fs::rename(&temporary, self.path(&digest))?;
            Ok(Blob { digest, size })
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }

    /// Writes a gzip-compressed layer: `write` produces the tar stream. The gzip header carries
    /// no name and mtime 0, so the same tar gives the same blob.
    pub fn put_layer(
        &self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<LayerBlob> {
        let temporary = self.directory.join(".layer");
        let result = (|| {
            let file = BufWriter::new(fs::File::create(&temporary)?);
            let compressed = HashingWriter::new(file);
            let encoder = GzBuilder::new().write(compressed, Compression::default());
            let mut uncompressed = HashingWriter::new(encoder);
            write(&mut uncompressed)?;
            let (encoder, diff_id, _) = uncompressed.finish();
            let (mut file, digest, size) = encoder.finish()?.finish();
            file.flush()?;
            fs::rename(&temporary, self.path(&digest))?;
            Ok(LayerBlob {
                blob: Blob { digest, size },
                diff_id,
            })
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }
}

/// Hashes a file: `sha256:<hex>`.
pub fn file_digest(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(digest_of(hasher))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_blob_is_named_by_its_compressed_digest_and_knows_its_diff_id() {
        let directory = std::env::temp_dir().join(format!("oci-blob-test-{}", std::process::id()));
        let store = BlobStore::create(&directory).unwrap();
        let layer = store
            .put_layer(|sink: &mut dyn Write| sink.write_all(b"hello tar"))
            .unwrap();
        assert_eq!(layer.diff_id, sha256_digest(b"hello tar"));
        let stored = fs::read(store.path(&layer.blob.digest)).unwrap();
        assert_eq!(sha256_digest(&stored), layer.blob.digest);
        assert_eq!(stored.len() as u64, layer.blob.size);
        // Deterministic: the same input, the same blob.
        let again = store
            .put_layer(|sink: &mut dyn Write| sink.write_all(b"hello tar"))
            .unwrap();
        assert_eq!(again, layer);
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(stored.as_slice())
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, "hello tar");
        fs::remove_dir_all(&directory).unwrap();
    }
}
