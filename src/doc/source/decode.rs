//! Turning a doc's bytes into text: the size cap while reading, the refusal of binary content
//! (archives, images, programs), the encodings (UTF-8 with or without a byte-order mark, UTF-16
//! with one, anything else lossily with a warning), CRLF folding, and HTML told from Markdown.

use encoding_rs::{Encoding, UTF_8};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::front_matter::{split_front_matter, unknown_front_matter_keys};
use super::{LoadError, LoadedDoc, Origin};

/// Reads at most `max_bytes` from `reader`; one byte more means the doc is too large, and
/// reading stops there.
pub(super) async fn read_bounded(
    reader: impl AsyncRead + Unpin,
    source_name: &str,
    quoted_path: Option<&str>,
    max_bytes: u64,
) -> Result<Vec<u8>, LoadError> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(|source| LoadError::Io {
            what: quoted_path.map_or_else(|| source_name.to_string(), |path| format!("`{path}`")),
            source,
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(LoadError::TooLarge {
            source_name: source_name.to_string(),
            size: None,
            max: max_bytes,
        });
    }
    Ok(bytes)
}

/// Turns raw bytes into a [`LoadedDoc`]: refuse binary content, decode (lossily, with a
/// warning), split off the front matter, convert HTML.
pub(super) fn decode_doc(
    bytes: &[u8],
    origin: Origin,
    source_name: &str,
    declared_html: bool,
) -> Result<LoadedDoc, LoadError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    if let Some(what) = binary_kind(bytes) {
        return Err(LoadError::Binary {
            source_name: source_name.to_string(),
            what: what.to_string(),
        });
    }
    let mut warnings = Vec::new();
    let text = decode_text(bytes, source_name, &mut warnings);
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    };
    let (front_matter, body, first_line) =
        split_front_matter(&text).map_err(|error| LoadError::FrontMatter {
            source_name: source_name.to_string(),
            line: error.line,
            message: error.message,
        })?;
    if front_matter.is_some() {
        warnings.extend(unknown_front_matter_keys(&text, source_name));
    }
    let converted_from_html = declared_html || looks_like_html(body);
    let text = if converted_from_html {
        crate::doc::html::to_markdown(body).map_err(|source| LoadError::Io {
            what: format!("the HTML of `{source_name}`"),
            source,
        })?
    } else {
        body.to_string()
    };
    Ok(LoadedDoc {
        origin,
        text,
        first_line,
        front_matter,
        converted_from_html,
        sha256,
        warnings,
    })
}

/// Signatures of binary formats a doc URL may point at by mistake (a release archive, a
/// binary, an image), with what to call them.
const MAGIC_NUMBERS: &[(&[u8], &str)] = &[
    (b"\x1f\x8b", "gzip data"),
    (b"\x7fELF", "an ELF executable"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"),
    (b"%PDF-", "a PDF document"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x00asm", "a WebAssembly module"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"!<arch>\n", "an ar archive (a .deb?)"),
];

/// How much of a doc is inspected for binary content.
const SNIFF_BYTES: usize = 64 * 1024;

/// What binary content `bytes` are, or `None` for text. UTF-16 text with a byte-order mark is
/// text.
fn binary_kind(bytes: &[u8]) -> Option<String> {
    if let Some((_, what)) = MAGIC_NUMBERS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return Some(what.to_string());
    }
    if bytes.starts_with(b"BZh") && bytes.get(4..10) == Some(b"\x31\x41\x59\x26\x53\x59") {
        return Some("bzip2 data".into());
    }
    if bytes.get(257..262) == Some(b"ustar") {
        return Some("a tar archive".into());
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return None;
    }
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if sample.contains(&0) {
        return Some("binary data (it contains NUL bytes)".into());
    }
    // Text uses tab, newlines, form feed and escape (ANSI colours); other control bytes in
    // quantity mean a binary format.
    let control_bytes = sample
        .iter()
        .filter(|&&byte| {
            (byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || byte == 0x7f
        })
        .count();
    if !sample.is_empty() && control_bytes * 10 > sample.len() {
        let percent = control_bytes * 100 / sample.len();
        return Some(format!("binary data ({percent}% control bytes)"));
    }
    None
}

/// Decodes a doc's bytes: UTF-8 (a byte-order mark dropped), UTF-16 with a byte-order mark,
/// and anything else as UTF-8 with invalid bytes replaced, which a warning reports.
fn decode_text(bytes: &[u8], source_name: &str, warnings: &mut Vec<String>) -> String {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes)
        && encoding != UTF_8
    {
        warnings.push(format!(
            "`{source_name}` is UTF-16 text; it was converted to UTF-8"
        ));
        let rest = &bytes[bom_length..];
        let (pairs, odd) = rest.split_at(rest.len() & !1);
        let (text, _) = encoding.decode_without_bom_handling(pairs);
        let mut text = text.into_owned();
        // A last odd byte is kept as the code unit it is on its own (encoding_rs would give
        // U+FFFD); the decoder written before encoding_rs did so, and this keeps its output.
        if let [odd] = odd {
            text.push(char::from(*odd));
        }
        return text;
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let line = valid.iter().filter(|&&byte| byte == b'\n').count() + 1;
            let invalid = bytes
                .split(|&byte| byte == b'\n')
                .map(|line_bytes| usize::from(std::str::from_utf8(line_bytes).is_err()))
                .sum::<usize>();
            warnings.push(format!(
                "`{source_name}` is not valid UTF-8 (first on line {line}, {invalid} line(s) in \
                 all); undecodable bytes were replaced with U+FFFD"
            ));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Whether a text without a declared type is an HTML page (not Markdown with some inline
/// HTML, which READMEs often start with: `<p align="center">`, `<h1>`).
fn looks_like_html(text: &str) -> bool {
    let start = text.trim_start();
    let head: String = start
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.starts_with("<?xml") && head.contains("<html"))
        || (head.starts_with("<!--") && (head.contains("<!doctype html") || head.contains("<html")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_content_is_recognised() {
        assert_eq!(
            binary_kind(b"\x1f\x8b\x08\x00rest").as_deref(),
            Some("gzip data")
        );
        assert_eq!(
            binary_kind(b"\x7fELF\x02\x01").as_deref(),
            Some("an ELF executable")
        );
        assert_eq!(
            binary_kind(b"\x89PNG\r\n\x1a\n....").as_deref(),
            Some("a PNG image")
        );
        assert_eq!(
            binary_kind(b"PK\x03\x04....").as_deref(),
            Some("a zip archive")
        );
        let mut tar = vec![b'a'; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(binary_kind(&tar).as_deref(), Some("a tar archive"));
        assert!(binary_kind(b"# doc\n\0\0").is_some_and(|what| what.contains("NUL")));
        assert!(
            binary_kind(&[0x01, 0x02, 0x03, b'a', 0x04])
                .is_some_and(|what| what.contains("control"))
        );
        assert_eq!(
            binary_kind(b"# Install\n\n\tindented\r\n\x1b[1mbold\x1b[0m\n"),
            None
        );
        assert_eq!(
            binary_kind("caf\u{e9} \u{2014} na\u{ef}ve".as_bytes()),
            None
        );
        assert_eq!(binary_kind(b"\xe9t\xe9 latin-1\n"), None);
        assert_eq!(binary_kind(b"\xff\xfe#\0 \0x\0"), None);
        assert_eq!(binary_kind(b""), None);
    }

    #[test]
    fn text_decoding_is_lossy_with_a_warning() {
        let mut warnings = Vec::new();
        assert_eq!(
            decode_text("\u{feff}ok".as_bytes(), "a.md", &mut warnings),
            "ok"
        );
        assert!(warnings.is_empty());
        let text = decode_text(b"line one\ncaf\xe9\n", "a.md", &mut warnings);
        assert_eq!(text, "line one\ncaf\u{fffd}\n");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("line 2"), "{warnings:?}");
        assert!(warnings[0].contains("a.md"), "{warnings:?}");
        let mut warnings = Vec::new();
        let text = decode_text(b"\xff\xfeh\0i\0", "b.md", &mut warnings);
        assert_eq!(text, "hi");
        assert!(warnings[0].contains("UTF-16"), "{warnings:?}");
    }

    #[test]
    fn utf16_keeps_its_edge_cases() {
        let mut warnings = Vec::new();
        assert_eq!(decode_text(b"\xfe\xff\0h\0i", "c.md", &mut warnings), "hi");
        assert_eq!(
            decode_text(b"\xff\xfe\0\xd8A\0", "c.md", &mut warnings),
            "\u{fffd}A"
        );
        assert_eq!(decode_text(b"\xff\xfeh\0i", "c.md", &mut warnings), "hi");
        assert_eq!(warnings.len(), 3);
    }

    #[test]
    fn html_pages_are_told_from_markdown_with_inline_html() {
        assert!(looks_like_html("\n<!DOCTYPE html>\n<html>"));
        assert!(looks_like_html("<html lang=\"en\">"));
        assert!(looks_like_html("<!-- generated -->\n<!doctype html>"));
        assert!(!looks_like_html(
            "<p align=\"center\"><img src=\"logo.png\"></p>\n# Tool"
        ));
        assert!(!looks_like_html("# Tool\n<html> is mentioned here"));
    }
}
