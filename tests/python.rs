//! The Python package's TCP client (`python/seamdb/client.py`) against a real `seam serve`:
//! its unittest suite, run with this build's `seam` from the source tree (`PYTHONPATH`), so
//! that it needs no build of the native module (python/tests' other files need the wheel:
//! `pip install ./python && pytest python/tests`). numpy and pandas cases run when those
//! are installed (CI installs them) and are reported as skipped otherwise.

use std::process::Command;

#[test]
fn python_client_suite_passes_against_a_live_server() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .args(["-m", "unittest", "discover", "-v", "-s", "python/tests", "-p", "test_client.py"])
        .current_dir(root)
        .env("SEAM_BIN", crate::support::seam_path())
        .env("PYTHONPATH", format!("{root}/python"))
        .output()
        .expect("python3 runs (Python 3.9 or later is needed for the client's tests)");
    let report = String::from_utf8_lossy(&out.stderr);
    // Say what ran, including any skipped case, in the test log.
    println!("{report}");
    assert!(out.status.success(), "the Python client's tests failed:\n{report}");
    assert!(report.contains("Ran ") && report.contains("OK"), "{report}");
}
