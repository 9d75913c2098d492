//! The memory cap of one call: all of the call's linear memories together
//! (a component may hold several core modules, each with its own memory);
//! growing past it stops the call with [`MemoryCapExceeded`] instead of
//! letting one adapter take the host's memory.

use wasmtime::ResourceLimiter;

/// A call tried to grow its memory past the manifest's `limits.memory-mib`.
#[derive(Debug, thiserror::Error)]
#[error(
    "memory cap of {cap_mib} MiB exceeded: the adapter asked for {desired} bytes in all its memories"
)]
pub struct MemoryCapExceeded {
    /// The cap, MiB.
    pub cap_mib: u32,
    /// What all the call's memories would have come to, bytes.
    pub desired: usize,
}

/// Tables are tiny in practice; a table bomb is stopped long before it matters.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

pub(super) struct MemoryLimit {
    cap_mib: u32,
    cap: usize,
    /// What the call's memories hold together, bytes.
    total: usize,
    /// The most the call's memories held together, bytes.
    pub(super) high_water: usize,
}

impl MemoryLimit {
    pub(super) fn new(cap_mib: u32) -> Self {
        Self {
            cap_mib,
            cap: cap_mib as usize * 1024 * 1024,
            total: 0,
            high_water: 0,
        }
    }
}

impl ResourceLimiter for MemoryLimit {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Each memory's creation (from 0) and every growth pass through here,
        // so the sum of the steps is what all memories hold.
        let total = self.total.saturating_add(desired.saturating_sub(current));
        if total > self.cap {
            // An error (rather than `Ok(false)`) traps at once with a cause the
            // host can name; a refused grow would surface as a vague abort.
            return Err(wasmtime::Error::new(MemoryCapExceeded {
                cap_mib: self.cap_mib,
                desired: total,
            }));
        }
        self.total = total;
        self.high_water = self.high_water.max(total);
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

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn the_cap_covers_all_of_a_calls_memories_together() {
        let mut limit = MemoryLimit::new(64);
        // Two core modules' memories, each within the cap alone.
        assert!(limit.memory_growing(0, 40 * MIB, None).unwrap());
        assert!(limit.memory_growing(0, 20 * MIB, None).unwrap());
        let refused = limit.memory_growing(0, 10 * MIB, None).unwrap_err();
        let refused = refused.downcast::<MemoryCapExceeded>().unwrap();
        assert_eq!(refused.desired, 70 * MIB);
        // Growing one of them counts only the growth.
        assert!(limit.memory_growing(20 * MIB, 24 * MIB, None).unwrap());
        assert!(limit.memory_growing(24 * MIB, 25 * MIB, None).is_err());
        assert_eq!(limit.high_water, 64 * MIB);
    }
}
