//! The `tributary` binary: the command line of [`tributary::cli`], with the dashboard's files
//! embedded (crates/dashboard-assets). Kept this small because this crate is recompiled for
//! every new dashboard build; see src/http/dashboard.rs.

/// mimalloc rather than glibc's malloc: requests allocate on one runtime thread and free on
/// another, the case glibc handles worst (see crates/server/Cargo.toml for the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the `mi_option_e` enum of mimalloc v3's `mimalloc.h`, the version
/// libmimalloc-sys builds by default (the crate names only some of the options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> anyhow::Result<()> {
    // Memory freed is given back to the system after 2 ms instead of mimalloc's 10: under batch
    // load the 10 ms purges held the server at 180-200 MB of RSS, against 143 MB with 0 (glibc:
    // 147 MB). 0 cost page faults and TLB shootdowns on every request (about 2% under single
    // events); 2 ms took 4-5% less server CPU per event than 0 at the same peak RSS (103-131
    // against 100-136 MB; wrk -t2 -c64, 8 s x 2, same hour).
    // SAFETY: mi_option_set stores one value in mimalloc's option table; any thread may call it.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 2) };
    tributary::cli::run(|path| dashboard_assets::get(path).map(|asset| (asset.data, asset.mime)))
}
