//! The one map from engine errors to Python exceptions. The classes live in Python
//! (`seamdb/_errors.py`), so the TCP client raises the same ones without this module.

use pyo3::PyErr;
use seamdb::storage::Error as StorageErr;

pyo3::import_exception!(seamdb._errors, Error);
pyo3::import_exception!(seamdb._errors, QueryError);
pyo3::import_exception!(seamdb._errors, InputError);
pyo3::import_exception!(seamdb._errors, StorageError);

/// A facade error as the exception a Python caller can act on: the query is wrong
/// (`QueryError`), the data is (`InputError`), or the database or its files are
/// (`StorageError`). The message is the CLI's.
pub fn to_py(e: seamdb::Error) -> PyErr {
    match e {
        seamdb::Error::Query(seamdb::query::Error::Storage(e)) | seamdb::Error::Storage(e) => storage(e),
        seamdb::Error::Query(e) => QueryError::new_err(e.to_string()),
        e @ (seamdb::Error::Input { .. } | seamdb::Error::UnknownComponent { .. }) => InputError::new_err(e.to_string()),
        e @ seamdb::Error::Io(_) => StorageError::new_err(e.to_string()),
    }
}

/// A storage error: the caller's data (schema conflicts, bad names) or the database's state.
pub fn storage(e: StorageErr) -> PyErr {
    match e {
        StorageErr::SchemaConflict { .. } | StorageErr::Invalid(_) | StorageErr::AlreadyIngested { .. } => {
            InputError::new_err(e.to_string())
        }
        e => StorageError::new_err(e.to_string()),
    }
}

pub fn query(e: seamdb::query::Error) -> PyErr {
    to_py(seamdb::Error::Query(e))
}

/// Input that cannot become a batch (a column of a type SeamDB does not store, a bad trace ID).
pub fn input(message: impl Into<String>) -> PyErr {
    InputError::new_err(message.into())
}
