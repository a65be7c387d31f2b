//! Region codes and levels (GB/T 2260 plus the 12-digit statistical codes).

text_enum! {
    /// A level of the region tree.
    pub enum RegionLevel as "region level" {
        Province = "province",
        City = "city",
        County = "county",
        Township = "township",
        Village = "village",
    }
}

impl RegionLevel {
    /// The number of digits a code of this level has.
    pub fn code_len(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }

    pub fn depth(self) -> u8 {
        match self {
            RegionLevel::Province => 1,
            RegionLevel::City => 2,
            RegionLevel::County => 3,
            RegionLevel::Township => 4,
            RegionLevel::Village => 5,
        }
    }

    pub fn from_code(code: &str) -> Option<RegionLevel> {
        if !code.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        match code.len() {
            2 => Some(RegionLevel::Province),
            4 => Some(RegionLevel::City),
            6 => Some(RegionLevel::County),
            9 => Some(RegionLevel::Township),
            12 => Some(RegionLevel::Village),
            _ => None,
        }
    }
}

/// The parent code implied by a code's shape, e.g. 511824002006 → 511824002.
pub fn implied_parent(code: &str) -> Option<&str> {
    match RegionLevel::from_code(code)? {
        RegionLevel::Province => None,
        RegionLevel::City => Some(&code[..2]),
        RegionLevel::County => Some(&code[..4]),
        RegionLevel::Township => Some(&code[..6]),
        RegionLevel::Village => Some(&code[..9]),
    }
}

/// The code of the ancestor at `level`, if the code is at or below it.
pub fn ancestor_at(code: &str, level: RegionLevel) -> Option<&str> {
    let own = RegionLevel::from_code(code)?;
    (own.code_len() >= level.code_len()).then(|| &code[..level.code_len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_know_their_level_and_ancestors() {
        assert_eq!(RegionLevel::from_code("511824002006"), Some(RegionLevel::Village));
        assert_eq!(RegionLevel::from_code("51182400200"), None);
        assert_eq!(RegionLevel::from_code("5118a4"), None);
        assert_eq!(implied_parent("511824002006"), Some("511824002"));
        assert_eq!(implied_parent("51"), None);
        assert_eq!(ancestor_at("511824002006", RegionLevel::County), Some("511824"));
        assert_eq!(ancestor_at("511824", RegionLevel::Township), None);
    }
}
