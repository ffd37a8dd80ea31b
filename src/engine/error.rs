//! The one error type of the engine.
//!
//! Every message is written for the analyst who dropped the file, not for a developer: it says
//! what went wrong and where (line, column, spec field), and, when it can, what to do next.
//! The same text reaches the CLI's stderr and the app's error banner. [`UserError`] is an
//! error as the front doors hand it on (the worker's replies, the JavaScript module): a
//! stable code, the spec field, the English text and a message key with its parameters.

use serde::{Deserialize, Serialize};
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
    Format(Message),

    /// A column role (user, event or time) could not be found or was named but is missing.
    #[error("{0}")]
    Mapping(Message),

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

/// The text of a load error ([`Error::Format`], [`Error::Mapping`]) with, like a spec
/// error, a stable code and the values it names, so a front end can say it in another
/// language.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Message {
    /// What is wrong and what to do, in English.
    pub text: String,
    /// A stable code of the message (empty when it has none).
    pub key: &'static str,
    /// The values the message names, by name.
    pub params: Vec<(&'static str, String)>,
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message {
            text,
            ..Message::default()
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::from(text.to_string())
    }
}

impl Error {
    /// Shorthand for an [`Error::Format`] without a code yet (give it one with
    /// [`Error::keyed`]).
    pub fn format(text: impl Into<String>) -> Self {
        Error::Format(Message::from(text.into()))
    }

    /// Shorthand for an [`Error::Mapping`] without a code yet.
    pub fn mapping(text: impl Into<String>) -> Self {
        Error::Mapping(Message::from(text.into()))
    }

    /// The load error said about one file of several (a zip entry, a file dropped with
    /// others): the English text starts with the file's name and the parameters gain
    /// `file`. Other errors pass unchanged.
    pub fn in_file(self, file: &str) -> Self {
        let with = |mut m: Message| {
            if m.params.iter().any(|(k, v)| *k == "file" && v == file) {
                return m;
            }
            m.text = format!("\"{file}\": {}", m.text);
            m.params.retain(|(k, _)| *k != "file");
            m.params.push(("file", file.to_string()));
            m
        };
        match self {
            Error::Format(m) => Error::Format(with(m)),
            Error::Mapping(m) => Error::Mapping(with(m)),
            other => other,
        }
    }

    /// The message code of a keyed error (spec or load), if it has one.
    pub fn key(&self) -> Option<&'static str> {
        let key = match self {
            Error::Spec { key, .. } => key,
            Error::Format(m) | Error::Mapping(m) => &m.key,
            _ => return None,
        };
        (!key.is_empty()).then_some(*key)
    }

    /// Shorthand for [`Error::Spec`].
    pub fn spec(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Spec {
            field: field.into(),
            message: message.into(),
            key: "",
            params: Vec::new(),
        }
    }

    /// Gives a spec or load error a stable message code and the values it names, so a
    /// front end can say it in another language (`{name}` in its text stands for a
    /// parameter).
    pub fn keyed(
        self,
        code: &'static str,
        values: &[(&'static str, &dyn std::fmt::Display)],
    ) -> Self {
        let params = values.iter().map(|(k, v)| (*k, v.to_string())).collect();
        match self {
            Error::Spec { field, message, .. } => Error::Spec {
                field,
                message,
                key: code,
                params,
            },
            Error::Format(m) => Error::Format(Message {
                text: m.text,
                key: code,
                params,
            }),
            Error::Mapping(m) => Error::Mapping(Message {
                text: m.text,
                key: code,
                params,
            }),
            other => other,
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, for a person: a stable code, the spec field when there is one, and
/// the English text.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UserError {
    /// Stable code: `io`, `format`, `mapping`, `spec`, `spec_json`, `no_events`,
    /// `cancelled`, `no_data`, `bad_request`, `engine_stopped`, `too_large`.
    pub code: String,
    /// The spec field (a JSON path such as `steps[2].event`), when the error is about one.
    pub field: Option<String>,
    /// The error in English, with what and where.
    pub message: String,
    /// A stable code of the message, when it has one (`unknown_event`, `periods_range`...),
    /// so the app can say it in its language with `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The values the message names, by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
}

impl UserError {
    /// An error of `code` with a message and no field.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        UserError {
            code: code.into(),
            field: None,
            message: message.into(),
            key: None,
            params: Default::default(),
        }
    }
}

impl From<&Error> for UserError {
    fn from(e: &Error) -> Self {
        let code = match e {
            Error::Io(_) => "io",
            Error::Format(_) => "format",
            Error::Mapping(_) => "mapping",
            Error::Spec { .. } => "spec",
            Error::SpecJson(_) => "spec_json",
            Error::NoEvents => "no_events",
            Error::Cancelled => "cancelled",
        };
        let (field, message, key, params) = match e {
            Error::Spec {
                field,
                message,
                key,
                params,
            } => (
                Some(field.clone()),
                message.clone(),
                (!key.is_empty()).then(|| key.to_string()),
                params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            Error::Format(m) | Error::Mapping(m) => (
                None,
                m.text.clone(),
                (!m.key.is_empty()).then(|| m.key.to_string()),
                m.params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
            other => (None, other.to_string(), None, Default::default()),
        };
        UserError {
            code: code.into(),
            field,
            message,
            key,
            params,
        }
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "invalid spec: {field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
