//! End-to-end tests: one test binary made of modules, so linking happens once.

mod api;
mod architecture;
mod busy;
mod crash;
mod demo;
mod faults;
mod foundation;
mod fuzz;
mod import;
mod journey;
mod logs;
mod lunar;
mod mail;
mod plan;
mod runs;
mod tide;
mod vocabularies;
mod windows;
