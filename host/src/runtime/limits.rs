//! The memory cap of one call: growing past it stops the call with
//! [`MemoryCapExceeded`] instead of letting one adapter take the host's memory.

use wasmtime::ResourceLimiter;

/// A call tried to grow its memory past the manifest's `limits.memory-mib`.
#[derive(Debug, thiserror::Error)]
#[error("memory cap of {cap_mib} MiB exceeded: the adapter asked for {desired} bytes")]
pub struct MemoryCapExceeded {
    /// The cap, MiB.
    pub cap_mib: u32,
    /// The size the adapter asked to grow to, bytes.
    pub desired: usize,
}

/// Tables are tiny in practice; a table bomb is stopped long before it matters.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

pub(super) struct MemoryLimit {
    cap_mib: u32,
    cap: usize,
    /// The largest memory the call reached, bytes.
    pub(super) high_water: usize,
}

impl MemoryLimit {
    pub(super) fn new(cap_mib: u32) -> Self {
        Self {
            cap_mib,
            cap: cap_mib as usize * 1024 * 1024,
            high_water: 0,
        }
    }
}

impl ResourceLimiter for MemoryLimit {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            // An error (rather than `Ok(false)`) traps at once with a cause the
            // host can name; a refused grow would surface as a vague abort.
            return Err(wasmtime::Error::new(MemoryCapExceeded {
                cap_mib: self.cap_mib,
                desired,
            }));
        }
        self.high_water = self.high_water.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
