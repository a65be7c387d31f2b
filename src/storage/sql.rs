//! A small SQL builder that numbers placeholders `$1, $2, …` for both databases.
//!
//! sqlx's `QueryBuilder<Any>` writes `?`, which PostgreSQL does not accept, so dynamic
//! statements (filters, multi-row inserts) are built here instead.

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments};

/// One value to bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(Some(value))
    }
}
impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Value {
        Value::Int(value)
    }
}
impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::Real(Some(value))
    }
}
impl From<Option<f64>> for Value {
    fn from(value: Option<f64>) -> Value {
        Value::Real(value)
    }
}
impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(Some(value.to_string()))
    }
}
impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(Some(value))
    }
}
impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Value {
        Value::Text(value)
    }
}
impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Value {
        Value::Text(value.map(str::to_string))
    }
}

/// SQL text with its bound values.
#[derive(Debug, Default, Clone)]
pub struct SqlBuilder {
    sql: String,
    values: Vec<Value>,
    /// Writes `?` instead of `$n` (see `for_many_rows`).
    anonymous: bool,
}

impl SqlBuilder {
    pub fn new(sql: &str) -> SqlBuilder {
        SqlBuilder { sql: sql.to_string(), values: Vec::new(), anonymous: false }
    }

    /// A builder for statements with many placeholders (multi-row inserts and updates).
    ///
    /// On SQLite it writes anonymous `?` placeholders: sqlx's SQLite driver looks each
    /// `$n` up by name, and SQLite finds a name by walking the list of all of them, so
    /// binding `$n` costs time that grows with the square of their number (a 6,600-value
    /// statement took a second). `?` is bound by position. Each value must then be
    /// referred to once, in order, which is how multi-row statements use them anyway.
    pub fn for_many_rows(dialect: super::Dialect, sql: &str) -> SqlBuilder {
        SqlBuilder { sql: sql.to_string(), values: Vec::new(), anonymous: dialect == super::Dialect::Sqlite }
    }

    /// Appends one parenthesised row of values, `(v1, v2, …)`, with a comma before it
    /// unless it is the first row (`first`).
    pub fn push_row(&mut self, first: bool, values: impl IntoIterator<Item = Value>) -> &mut Self {
        if !first {
            self.sql.push_str(", ");
        }
        self.sql.push('(');
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.sql.push_str(", ");
            }
            self.bind(value);
        }
        self.sql.push(')');
        self
    }

    /// Appends literal SQL. Never pass user input here; bind it with `bind`.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder and binds its value.
    ///
    /// A missing real number is written as the literal `NULL` instead: through `Any`,
    /// PostgreSQL receives a bound NULL as a 4-byte integer, and the statement, cached by
    /// its text on the connection, then rejects the 8-byte float of a later execution
    /// ("incorrect binary data format in bind parameter"). With the literal, the NULL and
    /// the non-NULL forms are different statements.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        let value = value.into();
        if matches!(value, Value::Real(None)) {
            self.sql.push_str("NULL");
            return self;
        }
        self.values.push(value);
        if self.anonymous {
            self.sql.push('?');
        } else {
            self.sql.push('$');
            self.sql.push_str(&self.values.len().to_string());
        }
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The arguments to run the statement with.
    pub fn arguments(&self) -> AnyArguments {
        let mut arguments = AnyArguments::default();
        for value in &self.values {
            // Adding a plain value to `AnyArguments` cannot fail; ignore the infallible result.
            let _ = match value {
                Value::Int(value) => arguments.add(*value),
                // sqlx 0.9's `Any` binds a NULL f64 as a PostgreSQL float4 (its null kinds
                // `Real` and `Double` are swapped), and a statement first prepared with that
                // NULL then refuses the 8-byte float8 of the next non-NULL call ("incorrect
                // binary data format"). A NULL f32 comes out as float8, which is what we store.
                Value::Real(None) => arguments.add(None::<f32>),
                Value::Real(Some(value)) => arguments.add(*value),
                Value::Text(value) => arguments.add(value.clone()),
            };
        }
        arguments
    }

    pub fn query(&self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        sqlx::query_with(sqlx::AssertSqlSafe(self.sql.clone()), self.arguments())
    }
}
