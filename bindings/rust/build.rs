// SPDX-License-Identifier: LGPL-2.1-or-later
//! Finds libobjlife for the linker, with no crate dependency:
//!
//! 1. `OBJLIFE_LIB_DIR` (a directory holding libobjlife.so): links there;
//! 2. otherwise the flags of `pkg-config --libs objlife` (`$PKG_CONFIG`
//!    names the program, `PKG_CONFIG_PATH` is honoured as usual);
//! 3. otherwise plain `-lobjlife`, with a warning that says so.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=OBJLIFE_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");
    println!("cargo:rerun-if-changed=build.rs");

    if let Some(dir) = env::var_os("OBJLIFE_LIB_DIR") {
        let dir = dir.to_string_lossy().into_owned();
        println!("cargo:rustc-link-search=native={}", dir);
        println!("cargo:rustc-link-lib=dylib=objlife");
        return;
    }

    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    match Command::new(&program).args(["--libs", "objlife"]).output() {
        Ok(out) if out.status.success() => {
            let flags = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut linked = false;
            for flag in flags.split_whitespace() {
                if let Some(dir) = flag.strip_prefix("-L") {
                    println!("cargo:rustc-link-search=native={}", dir);
                } else if let Some(name) = flag.strip_prefix("-l") {
                    println!("cargo:rustc-link-lib={}", name);
                    linked |= name == "objlife";
                }
                // Anything else (-pthread, -Wl,...) is not a library: Rust's
                // own link line already has what libobjlife.so needs.
            }
            if !linked {
                println!("cargo:rustc-link-lib=dylib=objlife");
            }
        }
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                Err(e) => format!("cannot run {}: {}", program, e),
            };
            println!(
                "cargo:warning=objlife: `{} --libs objlife` failed ({}); linking -lobjlife from the \
                 default search path. Set OBJLIFE_LIB_DIR or PKG_CONFIG_PATH to choose a build.",
                program, why
            );
            println!("cargo:rustc-link-lib=dylib=objlife");
        }
    }
}
