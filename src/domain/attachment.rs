//! Photos attached to appeals: what kinds are accepted and how a file's kind is known.
//!
//! The kind is read from the file's first bytes (its "magic number"), never from the name
//! or the type the client claims, so a script or a page cannot be stored as a photo.

/// The image kinds an appeal may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    /// The media type the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    pub fn from_content_type(text: &str) -> Option<ImageKind> {
        match text {
            "image/jpeg" => Some(ImageKind::Jpeg),
            "image/png" => Some(ImageKind::Png),
            "image/webp" => Some(ImageKind::Webp),
            _ => None,
        }
    }
}

/// The largest photo accepted, in bytes. Phones resize before sending, so a photo is
/// usually a few hundred kilobytes; 5 MB leaves room for a camera's original.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// How many photos one appeal may carry, from residents and staff together.
pub const MAX_PHOTOS_PER_APPEAL: i64 = 9;

/// The kind of an image from its first bytes, or `None` when it is not a JPEG, PNG or WebP.
pub fn sniff_image(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.len() >= 4 && bytes[..3] == [0xFF, 0xD8, 0xFF] {
        return Some(ImageKind::Jpeg);
    }
    if bytes.len() >= 8 && bytes[..8] == [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A] {
        return Some(ImageKind::Png);
    }
    if bytes.len() >= 16 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" && matches!(&bytes[12..16], b"VP8 " | b"VP8L" | b"VP8X") {
        return Some(ImageKind::Webp);
    }
    None
}

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoProblem {
    #[error("the photo is empty")]
    Empty,
    #[error("the photo is {size} bytes; at most {max} are accepted (resize it first)")]
    TooLarge { size: usize, max: usize },
    #[error("only JPEG, PNG and WebP photos are accepted; this file is none of them")]
    NotAnImage,
}

/// Checks a photo's size and kind.
pub fn check_photo(bytes: &[u8]) -> Result<ImageKind, PhotoProblem> {
    if bytes.is_empty() {
        return Err(PhotoProblem::Empty);
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoProblem::TooLarge { size: bytes.len(), max: MAX_PHOTO_BYTES });
    }
    sniff_image(bytes).ok_or(PhotoProblem::NotAnImage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_from_the_bytes_alone() {
        let mut webp = b"RIFF\x10\x00\x00\x00WEBPVP8 ".to_vec();
        webp.extend_from_slice(&[0; 8]);
        let cases: &[(&[u8], Option<ImageKind>)] = &[
            (b"\xFF\xD8\xFF\xE0\x00\x10JFIF", Some(ImageKind::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", Some(ImageKind::Png)),
            (&webp, Some(ImageKind::Webp)),
            (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
            (b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>", None),
            (b"<html><script>alert(1)</script>", None),
            (b"GIF89a\x01\x00", None),
            (b"\xFF\xD8", None),
            (b"", None),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff_image(bytes), *expected, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn empty_oversized_and_foreign_files_are_refused() {
        assert_eq!(check_photo(b""), Err(PhotoProblem::Empty));
        let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert!(matches!(check_photo(&big), Err(PhotoProblem::TooLarge { .. })));
        big.truncate(MAX_PHOTO_BYTES);
        assert_eq!(check_photo(&big), Ok(ImageKind::Jpeg));
        assert_eq!(check_photo(b"%PDF-1.7"), Err(PhotoProblem::NotAnImage));
    }
}
