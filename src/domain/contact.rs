//! A resident's contact details, which are personal data.
//!
//! `Contact` masks itself in `Debug`, so it cannot leak into logs by accident; the
//! unmasked values are only reachable through explicit accessors.

/// A name and phone number given by a resident. Both are optional.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Contact {
    name: Option<String>,
    phone: Option<String>,
}

/// Why a contact was refused at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("contact_phone must be 5 to 20 digits (spaces, dashes and a leading + are allowed)")]
    BadPhone,
    #[error("contact_name must be at most 50 characters")]
    NameTooLong,
}

impl Contact {
    /// Parses contact details from user input: trims, treats empty as absent, and
    /// normalises the phone number to digits (with a leading + kept).
    pub fn parse(name: Option<&str>, phone: Option<&str>) -> Result<Contact, ContactError> {
        let name = name.map(str::trim).filter(|name| !name.is_empty()).map(str::to_string);
        if name.as_ref().is_some_and(|name| name.chars().count() > 50) {
            return Err(ContactError::NameTooLong);
        }
        let phone = match phone.map(str::trim).filter(|phone| !phone.is_empty()) {
            None => None,
            Some(raw) => {
                let plus = raw.starts_with('+');
                let mut digits = String::new();
                for ch in raw.chars().skip(usize::from(plus)) {
                    match ch {
                        '0'..='9' => digits.push(ch),
                        ' ' | '-' | '(' | ')' => {}
                        _ => return Err(ContactError::BadPhone),
                    }
                }
                if !(5..=20).contains(&digits.len()) {
                    return Err(ContactError::BadPhone);
                }
                Some(if plus { format!("+{digits}") } else { digits })
            }
        };
        Ok(Contact { name, phone })
    }

    /// Rebuilds a contact from stored, already validated values.
    pub fn from_stored(name: Option<String>, phone: Option<String>) -> Contact {
        Contact { name, phone }
    }

    pub fn name_unmasked(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn phone_unmasked(&self) -> Option<&str> {
        self.phone.as_deref()
    }

    pub fn name_masked(&self) -> Option<String> {
        self.name.as_deref().map(mask_name)
    }

    pub fn phone_masked(&self) -> Option<String> {
        self.phone.as_deref().map(mask_phone)
    }
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact").field("name", &self.name_masked()).field("phone", &self.phone_masked()).finish()
    }
}

/// Keeps the family name: 张三丰 → 张**.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// Keeps the first three and last four digits of long numbers: 13812345678 → 138****5678.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() >= 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
    } else {
        let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
        format!("{}{tail}", "*".repeat(chars.len().saturating_sub(2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_helps_recognise_the_person() {
        let cases = [("张三丰", "张**"), ("李", "李*"), ("欧阳娜娜", "欧***")];
        for (name, masked) in cases {
            assert_eq!(mask_name(name), masked);
        }
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("88812345"), "******45");
    }

    #[test]
    fn debug_output_never_shows_the_values() {
        let contact = Contact::parse(Some("王小明"), Some("138 1234 5678")).unwrap();
        let debug = format!("{contact:?}");
        assert!(!debug.contains("小明") && !debug.contains("12345678"), "{debug}");
        assert_eq!(contact.phone_unmasked(), Some("13812345678"));
    }

    #[test]
    fn bad_phones_are_refused() {
        for phone in ["abc", "12", "1381234567a", "123456789012345678901"] {
            assert_eq!(Contact::parse(None, Some(phone)), Err(ContactError::BadPhone), "{phone}");
        }
        assert_eq!(Contact::parse(Some("  "), Some(" ")).unwrap(), Contact::default());
    }
}
