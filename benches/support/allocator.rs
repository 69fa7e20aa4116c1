//! The allocator `netsentry` runs with (see `src/main.rs`), so each benchmark times what the
//! command line does.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
