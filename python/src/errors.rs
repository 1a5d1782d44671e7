//! rcvall errors as Python exceptions: the classes live in `rcvall/_errors.py` (OSError
//! subclasses mixed with socket.timeout, BlockingIOError, PermissionError); this side only
//! hands over the Winsock code, the errno and the library's message.

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use rcvall::{Error, WsaCode};

static MAKE_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a library error.
pub(crate) fn to_py(py: Python<'_>, err: &Error) -> PyErr {
    raise(
        py,
        err.wsa_code(),
        err.raw_os_error(),
        err.message(),
        err.datagram_len(),
    )
}

/// An error the binding itself detects, with its Winsock code.
pub(crate) fn wsa(py: Python<'_>, code: WsaCode, message: &str) -> PyErr {
    raise(py, code.code(), None, message, None)
}

fn raise(
    py: Python<'_>,
    winerror: i32,
    errno: Option<i32>,
    message: &str,
    datagram_len: Option<usize>,
) -> PyErr {
    let made = MAKE_ERROR
        .get_or_try_init(py, || {
            py.import("rcvall._errors")
                .and_then(|m| m.getattr("_from_library"))
                .map(Bound::unbind)
        })
        .and_then(|make| make.call1(py, (winerror, errno, message, datagram_len)));
    match made {
        Ok(exception) => PyErr::from_value(exception.into_bound(py)),
        // Only if the package is broken: still an OSError carrying the code.
        Err(_) => PyOSError::new_err((winerror, message.to_owned())),
    }
}
