//! Removing personal data from text that is published (the public board of resolved
//! appeals): long digit runs (phone, ID card and bank numbers), e-mail addresses, and
//! the resident's own name with the forms of address built on their surname.
//!
//! The board never shows a resident's own words; this applies to the unit's reply,
//! which may still name or number the resident ("王大姐，已联系 138…").

/// What replaces a removed piece of text.
pub const MASK: &str = "***";

/// Forms of address that follow a surname in replies (王女士, 李大爷).
const ADDRESS_FORMS: &[&str] =
    &["先生", "女士", "同志", "大姐", "大哥", "大爷", "大妈", "阿姨", "叔叔", "师傅", "老师", "奶奶", "爷爷", "婆婆", "老人", "某"];

/// Digits in a run of at least this many (ignoring `-` and spaces inside) are removed:
/// mobile numbers have 11, landlines 7–8 plus an area code, ID cards 18.
const MIN_DIGIT_RUN: usize = 7;

/// Removes personal data from `text`. `names` are names known to belong to the resident
/// (the contact name); each is removed, and so is its surname followed by a form of
/// address.
pub fn redact_public_text(text: &str, names: &[&str]) -> String {
    let mut out = mask_digit_runs(text);
    out = mask_emails(&out);
    for name in names.iter().map(|name| name.trim()).filter(|name| name.chars().count() >= 2) {
        out = out.replace(name, MASK);
        if let Some(surname) = name.chars().next().filter(|ch| !ch.is_ascii()) {
            for form in ADDRESS_FORMS {
                out = out.replace(&format!("{surname}{form}"), &format!("{MASK}{form}"));
            }
        }
    }
    out
}

/// Replaces every run of `MIN_DIGIT_RUN` or more digits (full-width digits count; single
/// `-`, spaces or a trailing X of an ID card inside the run are part of it).
fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_digit = |ch: char| ch.is_ascii_digit() || ('０'..='９').contains(&ch);
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        if !is_digit(chars[index]) {
            out.push(chars[index]);
            index += 1;
            continue;
        }
        // Extend the run over digits and single separators between digits.
        let start = index;
        let mut end = index;
        let mut digits = 0;
        let mut cursor = index;
        while cursor < chars.len() {
            let ch = chars[cursor];
            if is_digit(ch) {
                digits += 1;
                cursor += 1;
                end = cursor;
            } else if matches!(ch, '-' | ' ' | '－') && cursor + 1 < chars.len() && is_digit(chars[cursor + 1]) {
                cursor += 1;
            } else {
                break;
            }
        }
        if digits >= MIN_DIGIT_RUN && end < chars.len() && matches!(chars[end], 'X' | 'x') {
            end += 1;
        }
        if digits >= MIN_DIGIT_RUN {
            out.push_str(MASK);
        } else {
            out.extend(&chars[start..end]);
        }
        index = end;
    }
    out
}

/// Replaces `local@domain` addresses.
fn mask_emails(text: &str) -> String {
    let is_part = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | '+');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        if chars[index] == '@' {
            // The local part is ASCII, so its length in characters is its length in bytes.
            let before = out.chars().rev().take_while(|ch| is_part(*ch)).count();
            let mut after = index + 1;
            while after < chars.len() && is_part(chars[after]) {
                after += 1;
            }
            let domain: String = chars[index + 1..after].iter().collect();
            if before > 0 && domain.contains('.') {
                out.truncate(out.len() - before);
                out.push_str(MASK);
                index = after;
                continue;
            }
        }
        out.push(chars[index]);
        index += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_removed_and_the_rest_kept() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("王大姐您好，护栏已于今日修复。", &["王大姐"], "***您好，护栏已于今日修复。"),
            ("已联系王女士(13800001234)，路灯已更换。", &["王秀英"], "已联系***女士(***)，路灯已更换。"),
            ("请拨打 0835-8862123 咨询。", &[], "请拨打 *** 咨询。"),
            ("身份证号51182419800101123X已核实", &[], "身份证号***已核实"),
            ("手机 138 0000 1234，邮箱 wang.li@example.com 已回复", &[], "手机 ***，邮箱 *** 已回复"),
            ("2026年11月22日前完成，共3处，费用1200元。", &[], "2026年11月22日前完成，共3处，费用1200元。"),
            ("１３８００００１２３４", &[], "***"),
            ("会议定于 10:30 在 2 号楼召开", &[], "会议定于 10:30 在 2 号楼召开"),
            ("已处理。", &["张"], "已处理。"),
            ("email at @ alone", &[], "email at @ alone"),
        ];
        for (text, names, expected) in cases {
            assert_eq!(redact_public_text(text, names), *expected, "{text}");
        }
    }
}
