//! The one error type of the engine.
//!
//! Every message is written for the analyst who dropped the file, not for a developer: it says
//! what went wrong and where (line, column, spec field), and, when it can, what to do next.
//! The same text reaches the CLI's stderr and the app's error banner.

use thiserror::Error;

/// Everything that can stop an import or an analysis.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read at all (I/O failure, truncated read).
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),

    /// The file's shape is not something Loupe can import (no header, no rows, wrong encoding).
    #[error("{0}")]
    Format(String),

    /// A column role (user, event or time) could not be found or was named but is missing.
    #[error("{0}")]
    Mapping(String),

    /// A spec is well-formed JSON but asks for something invalid; `field` is a JSON path.
    #[error("invalid spec: {field}: {message}")]
    Spec {
        /// Where in the spec, e.g. `steps[2].event`.
        field: String,
        /// What is wrong and how to fix it, in English.
        message: String,
        /// A stable code of the message (empty when it has none), for translations.
        key: &'static str,
        /// The values the message names, by name, for translations.
        params: Vec<(&'static str, String)>,
    },

    /// A spec is not valid JSON or has unknown or mistyped fields.
    #[error("invalid spec: {0}")]
    SpecJson(String),

    /// An analysis was asked of a dataset without events.
    #[error("the dataset has no events: every row was rejected (the overview lists why)")]
    NoEvents,

    /// The import was cancelled by the caller's progress callback.
    #[error("import cancelled")]
    Cancelled,
}

impl Error {
    /// Shorthand for [`Error::Spec`].
    pub fn spec(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Spec {
            field: field.into(),
            message: message.into(),
            key: "",
            params: Vec::new(),
        }
    }

    /// Gives a spec error a stable message code and the values it names, so a front end
    /// can say it in another language (`{name}` in its text stands for a parameter).
    pub fn keyed(
        self,
        code: &'static str,
        values: &[(&'static str, &dyn std::fmt::Display)],
    ) -> Self {
        match self {
            Error::Spec { field, message, .. } => Error::Spec {
                field,
                message,
                key: code,
                params: values.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            },
            other => other,
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
