//! `rcvall._rcvall`: the Rust half of the Python package. It converts at the boundary and
//! releases the GIL around every wait; the Python half (`rcvall/`) gives it the shape of the
//! standard `socket` module.
#![forbid(unsafe_code)]

mod errors;
mod raw;

use pyo3::prelude::*;

#[pymodule]
fn _rcvall(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<raw::RawSocketCore>()?;
    m.add("SIO_RCVALL", rcvall::SIO_RCVALL)?;
    m.add("SIO_RCVALL_MCAST", rcvall::SIO_RCVALL_MCAST)?;
    m.add("SIO_RCVALL_IGMPMCAST", rcvall::SIO_RCVALL_IGMPMCAST)?;
    m.add("RCVALL_OFF", rcvall::RCVALL_OFF)?;
    m.add("RCVALL_ON", rcvall::RCVALL_ON)?;
    m.add("RCVALL_SOCKETLEVELONLY", rcvall::RCVALL_SOCKETLEVELONLY)?;
    m.add("RCVALL_IPLEVEL", rcvall::RCVALL_IPLEVEL)?;
    m.add("RCVALL_MAX", rcvall::RCVALL_MAX)?;
    m.add("MAX_DATAGRAM", raw::MAX_DATAGRAM)?;
    Ok(())
}
