//! The appeal taxonomy: two levels of categories with a default department and limit.

/// One category of the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// The county department that handles it by default.
    pub department: String,
    pub default_working_days: u32,
}

/// Why a taxonomy file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("taxonomy line {line}: {problem}")]
pub struct TaxonomyError {
    pub line: usize,
    pub problem: String,
}

/// Parses `code,name,parent,department,default_working_days` with a header line.
pub fn parse_categories_csv(text: &str) -> Result<Vec<Category>, TaxonomyError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let mut categories = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|error| TaxonomyError { line, problem: error.to_string() })?;
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let code = field(0).to_string();
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TaxonomyError { line, problem: format!("code `{code}` must be digits") });
        }
        let days = field(4)
            .parse::<u32>()
            .map_err(|_| TaxonomyError { line, problem: format!("default_working_days `{}` is not a whole number", field(4)) })?;
        categories.push(Category {
            code,
            name: field(1).to_string(),
            parent_code: Some(field(2).to_string()).filter(|parent| !parent.is_empty()),
            department: field(3).to_string(),
            default_working_days: days,
        });
    }
    Ok(categories)
}

/// The taxonomy shipped with the product.
pub const DEFAULT_CATEGORIES_CSV: &str = include_str!("../../data/taxonomy/categories.csv");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_taxonomy_parses_and_every_child_has_a_parent() {
        let categories = parse_categories_csv(DEFAULT_CATEGORIES_CSV).unwrap();
        assert!(categories.len() > 50);
        for category in &categories {
            if let Some(parent) = &category.parent_code {
                assert!(categories.iter().any(|c| &c.code == parent), "{} has no parent", category.code);
            }
        }
    }

    #[test]
    fn a_bad_line_is_reported_by_number() {
        let error = parse_categories_csv("code,name,parent,department,default_working_days\n01,x,,y,seven\n").unwrap_err();
        assert_eq!(error.line, 2);
    }
}
