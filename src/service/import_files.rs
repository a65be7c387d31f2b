//! Reading the spreadsheets other 12345 systems export: CSV (UTF-8, or GBK as Chinese
//! government systems often write it) and XLSX.
//!
//! The XLSX reader is our own and small: the zip's central directory, `flate2` for the
//! deflated parts and `roxmltree` for the sheet XML. `calamine` would do it too, but
//! brings a dozen crates (zip with zopfli and getrandom, quick-xml, codepage, atoi_simd…)
//! for the one thing we need: the text of each cell of one sheet.

use std::collections::HashMap;
use std::io::Read;

/// A sheet as rows of cell texts. `rows` carry their spreadsheet row number (the header is
/// row 1, or wherever it was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// The most a single part of an XLSX may inflate to, against zip bombs.
const MAX_PART_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a file by its extension: `.xlsx`, else CSV.
pub fn read_table(file_name: &str, bytes: &[u8], encoding: Option<&str>, sheet: Option<&str>) -> Result<Table, String> {
    if file_name.to_ascii_lowercase().ends_with(".xlsx") { read_xlsx(bytes, sheet) } else { read_csv(bytes, encoding) }
}

/// Decodes CSV bytes: a UTF-8 byte-order mark or valid UTF-8 is UTF-8; otherwise (with
/// `auto`) the bytes are read as GBK (GB18030, its superset), the encoding of Excel's
/// "CSV" on Chinese Windows.
pub fn decode_text(bytes: &[u8], encoding: Option<&str>) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let gbk = |bytes: &[u8]| {
        let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
        if had_errors { Err("the file is neither valid UTF-8 nor valid GBK".to_string()) } else { Ok(text.into_owned()) }
    };
    match encoding.unwrap_or("auto") {
        "gbk" | "gb18030" => gbk(bytes),
        "utf-8" | "utf8" => String::from_utf8(bytes.to_vec())
            .map_err(|error| format!("the file is not valid UTF-8 ({error}); set source.encoding = \"gbk\" if it is GBK")),
        _ => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_string()),
            Err(_) => gbk(bytes),
        },
    }
}

pub fn read_csv(bytes: &[u8], encoding: Option<&str>) -> Result<Table, String> {
    let text = decode_text(bytes, encoding)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(record) => {
            record.map_err(|error| format!("the CSV header cannot be read: {error}"))?.iter().map(|cell| cell.trim().to_string()).collect()
        }
        None => return Err("the file is empty".into()),
    };
    let mut rows = Vec::new();
    for (index, record) in records.enumerate() {
        let record = record.map_err(|error| format!("row {}: the CSV cannot be read: {error}", index + 2))?;
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        rows.push((index + 2, cells));
    }
    Ok(Table { header, rows })
}

/// The parts of a zip archive by name (only the ones asked for are inflated).
struct ZipArchive<'a> {
    bytes: &'a [u8],
    entries: HashMap<String, ZipEntry>,
}

struct ZipEntry {
    method: u16,
    compressed_size: usize,
    uncompressed_size: u64,
    local_offset: usize,
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes.get(at..at + 2).map(|slice| u16::from_le_bytes([slice[0], slice[1]])).ok_or_else(|| "the XLSX (zip) is truncated".to_string())
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|slice| u32::from_le_bytes([slice[0], slice[1], slice[2], slice[3]]))
        .ok_or_else(|| "the XLSX (zip) is truncated".to_string())
}

impl<'a> ZipArchive<'a> {
    fn open(bytes: &'a [u8]) -> Result<ZipArchive<'a>, String> {
        let not_zip = || "the file is not an XLSX workbook (no zip directory found)".to_string();
        // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
        let search_from = bytes.len().saturating_sub(65_557);
        let end = (search_from..bytes.len().saturating_sub(21))
            .rev()
            .find(|&at| bytes[at..at + 4] == [0x50, 0x4b, 0x05, 0x06])
            .ok_or_else(not_zip)?;
        let count = u16_at(bytes, end + 10)? as usize;
        let mut at = u32_at(bytes, end + 16)? as usize;
        let mut entries = HashMap::new();
        for _ in 0..count {
            if u32_at(bytes, at)? != 0x0201_4b50 {
                return Err(not_zip());
            }
            let method = u16_at(bytes, at + 10)?;
            let compressed_size = u32_at(bytes, at + 20)? as usize;
            let uncompressed_size = u64::from(u32_at(bytes, at + 24)?);
            let name_length = u16_at(bytes, at + 28)? as usize;
            let extra_length = u16_at(bytes, at + 30)? as usize;
            let comment_length = u16_at(bytes, at + 32)? as usize;
            let local_offset = u32_at(bytes, at + 42)? as usize;
            let name = bytes.get(at + 46..at + 46 + name_length).ok_or_else(not_zip)?;
            entries
                .insert(String::from_utf8_lossy(name).into_owned(), ZipEntry { method, compressed_size, uncompressed_size, local_offset });
            at += 46 + name_length + extra_length + comment_length;
        }
        Ok(ZipArchive { bytes, entries })
    }

    fn part(&self, name: &str) -> Result<Option<String>, String> {
        let Some(entry) = self.entries.get(name) else { return Ok(None) };
        let bytes = self.bytes;
        if u32_at(bytes, entry.local_offset)? != 0x0403_4b50 {
            return Err(format!("the XLSX part {name} is damaged"));
        }
        let start =
            entry.local_offset + 30 + u16_at(bytes, entry.local_offset + 26)? as usize + u16_at(bytes, entry.local_offset + 28)? as usize;
        let data = bytes.get(start..start + entry.compressed_size).ok_or_else(|| format!("the XLSX part {name} is truncated"))?;
        if entry.uncompressed_size > MAX_PART_BYTES {
            return Err(format!("the XLSX part {name} is larger than {MAX_PART_BYTES} bytes"));
        }
        let mut content = Vec::new();
        match entry.method {
            0 => content.extend_from_slice(data),
            8 => {
                flate2::read::DeflateDecoder::new(data)
                    .take(MAX_PART_BYTES + 1)
                    .read_to_end(&mut content)
                    .map_err(|error| format!("the XLSX part {name} cannot be inflated: {error}"))?;
            }
            other => return Err(format!("the XLSX part {name} uses zip compression method {other}; save it again as .xlsx")),
        }
        if content.len() as u64 > MAX_PART_BYTES {
            return Err(format!("the XLSX part {name} is larger than {MAX_PART_BYTES} bytes"));
        }
        String::from_utf8(content).map(Some).map_err(|_| format!("the XLSX part {name} is not UTF-8 XML"))
    }
}

fn parse_xml<'t>(name: &str, text: &'t str) -> Result<roxmltree::Document<'t>, String> {
    let options = roxmltree::ParsingOptions { allow_dtd: false, ..roxmltree::ParsingOptions::default() };
    roxmltree::Document::parse_with_options(text, options).map_err(|error| format!("the XLSX part {name} is not well-formed XML: {error}"))
}

/// The text of an element's `<t>` descendants (rich text runs are concatenated; phonetic
/// hints, `<rPh>`, are left out).
fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    let mut text = String::new();
    for descendant in node.descendants() {
        if descendant.has_tag_name("t") && !descendant.ancestors().any(|ancestor| ancestor.has_tag_name("rPh")) {
            text.push_str(descendant.text().unwrap_or(""));
        }
    }
    text
}

/// The zero-based column of a cell reference like `BC12`.
fn column_of(reference: &str) -> Option<usize> {
    let letters: String = reference.chars().take_while(char::is_ascii_alphabetic).collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    Some(letters.bytes().fold(0usize, |acc, byte| acc * 26 + usize::from(byte.to_ascii_uppercase() - b'A' + 1)) - 1)
}

/// Numbers as a spreadsheet shows them: integers without `.0` (phone numbers, ids).
fn number_text(raw: &str) -> String {
    match raw.parse::<f64>() {
        Ok(value) if value.fract() == 0.0 && value.abs() < 1e15 => format!("{}", value as i64),
        _ => raw.to_string(),
    }
}

/// Reads one sheet (by name, or the first) of an XLSX workbook. The first non-empty row is
/// the header.
pub fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table, String> {
    let archive = ZipArchive::open(bytes)?;
    let workbook_text = archive.part("xl/workbook.xml")?.ok_or("the XLSX has no xl/workbook.xml")?;
    let workbook = parse_xml("xl/workbook.xml", &workbook_text)?;
    let sheets: Vec<(String, String)> = workbook
        .descendants()
        .filter(|node| node.has_tag_name("sheet"))
        .map(|node| {
            let relation = node
                .attributes()
                .find(|attribute| attribute.name() == "id")
                .map(|attribute| attribute.value().to_string())
                .unwrap_or_default();
            (node.attribute("name").unwrap_or("").to_string(), relation)
        })
        .collect();
    let (sheet_name, relation) = match sheet {
        None => sheets.first().cloned().ok_or("the workbook has no sheet")?,
        Some(wanted) => sheets.iter().find(|(name, _)| name == wanted).cloned().ok_or_else(|| {
            let names: Vec<&str> = sheets.iter().map(|(name, _)| name.as_str()).collect();
            format!("the workbook has no sheet `{wanted}` (it has: {})", names.join(", "))
        })?,
    };
    let relations_text = archive.part("xl/_rels/workbook.xml.rels")?.ok_or("the XLSX has no xl/_rels/workbook.xml.rels")?;
    let relations = parse_xml("xl/_rels/workbook.xml.rels", &relations_text)?;
    let target = relations
        .descendants()
        .find(|node| node.has_tag_name("Relationship") && node.attribute("Id") == Some(relation.as_str()))
        .and_then(|node| node.attribute("Target"))
        .ok_or_else(|| format!("the sheet `{sheet_name}` has no part in the workbook"))?;
    let sheet_path = if let Some(absolute) = target.strip_prefix('/') { absolute.to_string() } else { format!("xl/{target}") };

    let shared: Vec<String> = match archive.part("xl/sharedStrings.xml")? {
        None => Vec::new(),
        Some(text) => {
            let document = parse_xml("xl/sharedStrings.xml", &text)?;
            document.root_element().children().filter(|node| node.has_tag_name("si")).map(text_of).collect()
        }
    };

    let sheet_text = archive.part(&sheet_path)?.ok_or_else(|| format!("the XLSX has no part {sheet_path}"))?;
    let document = parse_xml(&sheet_path, &sheet_text)?;
    let mut all_rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut previous_row = 0usize;
    for row in document.descendants().filter(|node| node.has_tag_name("row")) {
        let number = row.attribute("r").and_then(|text| text.parse().ok()).unwrap_or(previous_row + 1);
        previous_row = number;
        let mut cells: Vec<String> = Vec::new();
        for (position, cell) in row.children().filter(|node| node.has_tag_name("c")).enumerate() {
            let column = cell.attribute("r").and_then(column_of).unwrap_or(position);
            if column > 16_383 {
                return Err(format!("row {number}: a cell lies beyond column XFD"));
            }
            let value = cell.children().find(|node| node.has_tag_name("v")).and_then(|node| node.text()).unwrap_or("");
            let text = match cell.attribute("t") {
                Some("s") => {
                    let index: usize = value.trim().parse().map_err(|_| format!("row {number}: a shared string index is not a number"))?;
                    shared.get(index).cloned().ok_or_else(|| format!("row {number}: shared string {index} is missing"))?
                }
                Some("inlineStr") => cell.children().find(|node| node.has_tag_name("is")).map(text_of).unwrap_or_default(),
                Some("b") => {
                    if value == "1" {
                        "TRUE".into()
                    } else {
                        "FALSE".into()
                    }
                }
                Some("str" | "e") => value.to_string(),
                _ => number_text(value),
            };
            if cells.len() <= column {
                cells.resize(column + 1, String::new());
            }
            cells[column] = text;
        }
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        all_rows.push((number, cells));
    }
    let mut rows = all_rows.into_iter();
    let (_, header) = rows.next().ok_or_else(|| format!("the sheet `{sheet_name}` is empty"))?;
    Ok(Table { header: header.into_iter().map(|cell| cell.trim().to_string()).collect(), rows: rows.collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_csv_is_detected_and_decoded_and_utf8_with_a_bom_is_read() {
        let (gbk, _, _) = encoding_rs::GBK.encode("编号,内容\nA1,路灯坏了\n");
        let table = read_csv(&gbk, None).unwrap();
        assert_eq!(table.header, vec!["编号", "内容"]);
        assert_eq!(table.rows, vec![(2, vec!["A1".to_string(), "路灯坏了".to_string()])]);
        let utf8 = "\u{feff}编号,内容\nA1,路灯坏了\n\n";
        assert_eq!(read_csv(utf8.as_bytes(), Some("utf-8")).unwrap(), table);
        assert!(read_csv(&gbk, Some("utf-8")).unwrap_err().contains("gbk"));
    }

    #[test]
    fn our_own_xlsx_export_reads_back_with_numbers_and_gaps() {
        let rows = vec![vec!["A1".to_string(), "路灯坏了 & <b>".to_string()], vec!["A2".to_string(), String::new()]];
        let bytes = crate::service::xlsx::workbook_bytes("诉求", &["编号", "内容"], &rows).unwrap();
        let table = read_xlsx(&bytes, None).unwrap();
        assert_eq!(table.header, vec!["编号", "内容"]);
        assert_eq!(table.rows[0], (2, vec!["A1".to_string(), "路灯坏了 & <b>".to_string()]));
        assert_eq!(table.rows[1].1[0], "A2");
        assert!(read_xlsx(&bytes, Some("Sheet9")).unwrap_err().contains("诉求"));
        assert!(read_xlsx(b"not a zip", None).is_err());
        assert_eq!(column_of("BC12"), Some(54));
        assert_eq!(number_text("13812345678"), "13812345678");
        assert_eq!(number_text("29.05"), "29.05");
    }
}
