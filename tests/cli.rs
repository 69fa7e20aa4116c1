//! The `netsentry` binary as a user runs it.
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]

use std::process::Command;

fn netsentry(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_netsentry"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn help_lists_the_subcommands() {
    let output = netsentry(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("backends"), "{help}");
}

#[test]
fn cpu_backend_check_trains_and_says_so() {
    let output = netsentry(&["backends", "--backend", "cpu", "--steps", "5"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("backend: CPU (chosen in settings)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("check: 5 Adam steps, loss "), "{stdout}");
}

#[test]
fn unknown_backend_is_refused_with_the_choices() {
    let output = netsentry(&["backends", "--backend", "tpu"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("possible values: auto, gpu, cpu"),
        "{stderr}"
    );
}
