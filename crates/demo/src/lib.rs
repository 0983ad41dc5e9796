//! doorstep's synthetic data, apart from the product's use cases: the demo
//! communes of Thanh Hóa that `doorstep demo` and `serve --demo` load (real
//! places, generated people), and a synthetic province of Thanh Hóa's size
//! for measurements at scale (`doorstep province`).
//!
//! Both draw from one seeded generator ([`rng`]) and one set of names
//! ([`names`]), so a seed always gives the same rows; both write through the
//! store's loads and the service's use cases, like a register import would.

mod communes;
pub mod names;
pub mod province;
pub mod rng;

pub use communes::{
    DEMO_PASSWORD, DEMO_PLAN_DAYS, DEMO_USERS, DemoPlan, DemoSummary, load, plan_calendars,
};
