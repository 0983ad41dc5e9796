//! Station files: what is accepted and how each mistake is reported.

use doorstep_tide::{Catalog, Station, parse_station};
use rstest::rstest;

const GOOD: &str = r#"
id = "demo"
name = "Demo"
latitude = 20.0
longitude = 106.0
timezone = "Asia/Ho_Chi_Minh"
datum = "MSL"
z0_m = 0.0
phase_reference = "greenwich"
source = "example"
license = "CC0"
approximate = false
notes = ""

[[constituents]]
name = "M2"
amplitude_m = 1.0
phase_deg = 10.0
speed_deg_per_hour = 28.9841042

[[constituents]]
name = "LDA2"
amplitude_m = 0.1
phase_deg = 10.0
speed_deg_per_hour = 29.4556253
"#;

#[test]
fn a_good_file_parses_and_aliases_map_to_noaa_names() {
    let Station::Harmonic(s) = parse_station("config/stations/demo.toml", GOOD).unwrap() else {
        panic!("harmonic")
    };
    assert_eq!(s.info.id, "demo");
    assert_eq!(s.constituents[1].constituent.name, "LAM2");
}

#[rstest]
#[case::wrong_speed(
    "speed_deg_per_hour = 28.9841042",
    "speed_deg_per_hour = 28.98411",
    "demo.toml:19: constituents[0].speed_deg_per_hour: 28.98411 disagrees with the speed of M2 in the table; expected 28.9841042"
)]
#[case::unknown_constituent(
    "name = \"M2\"",
    "name = \"MA2\"",
    "demo.toml:16: constituents[0].name: unknown constituent \"MA2\""
)]
#[case::missing_field("z0_m = 0.0\n", "", "demo.toml: z0_m: missing; expected metres")]
#[case::missing_amplitude(
    "amplitude_m = 1.0\n",
    "",
    "demo.toml:15: constituents[0].amplitude_m: missing; expected metres"
)]
#[case::wrong_type(
    "latitude = 20.0",
    "latitude = \"20N\"",
    "demo.toml:4: latitude: expected degrees north in [-90, 90], found string"
)]
#[case::wrong_id(
    "id = \"demo\"",
    "id = \"other\"",
    "demo.toml:2: id: \"other\" differs from the file name; expected \"demo\""
)]
#[case::unknown_key(
    "notes = \"\"",
    "notes = \"\"\ncolour = 1",
    "demo.toml:14: colour: unknown field"
)]
#[case::bad_datum(
    "datum = \"MSL\"",
    "datum = \"LAT\"",
    "demo.toml:7: datum: \"LAT\" is not known; expected \"MSL\" or \"chart datum\""
)]
#[case::bad_phase_reference(
    "phase_reference = \"greenwich\"",
    "phase_reference = \"local\"",
    "demo.toml:9: phase_reference: \"local\" is not supported; expected \"greenwich\""
)]
#[case::bad_toml(
    "approximate = false",
    "approximate = ",
    "demo.toml:12: not valid TOML"
)]
fn each_mistake_names_file_field_and_expectation(
    #[case] from: &str,
    #[case] to: &str,
    #[case] expected: &str,
) {
    let text = GOOD.replacen(from, to, 1);
    assert_ne!(text, GOOD, "the case changes the file");
    let err = parse_station("demo.toml", &text).unwrap_err().to_string();
    assert!(
        err.contains(expected),
        "{err}\n--- expected to contain ---\n{expected}"
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = GOOD
        .replacen("z0_m = 0.0\n", "", 1)
        .replacen("name = \"M2\"", "name = \"XX9\"", 1);
    let err = parse_station("demo.toml", &text).unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
}

const SECONDARY: &str = r#"
id = "port"
name = "Port"
latitude = 19.37
longitude = 105.8
timezone = "Asia/Ho_Chi_Minh"
source = "example"
license = "CC0"
approximate = true

[secondary]
reference = "demo"
high_water_time_offset_min = 30
low_water_time_offset_min = -15
high_water_height_ratio = 0.9
low_water_height_offset_m = 0.1
"#;

#[test]
fn a_catalog_resolves_secondaries() {
    let catalog = Catalog::from_files([("demo.toml", GOOD), ("port.toml", SECONDARY)]).unwrap();
    assert_eq!(catalog.stations().len(), 2);
    let Some(Station::Secondary(s)) = catalog.get("port") else {
        panic!()
    };
    assert_eq!(s.high_water_height.ratio, 0.9);
    assert_eq!(s.high_water_height.offset_m, 0.0);
    assert_eq!(s.low_water_height.ratio, 1.0);
    assert_eq!(s.low_water_height.offset_m, 0.1);
    assert!(catalog.predictor("port").is_some());
    assert!(catalog.predictor("nowhere").is_none());
}

#[test]
fn a_catalog_refuses_a_missing_reference_and_duplicate_ids() {
    let err = Catalog::from_files([("port.toml", SECONDARY)])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("port.toml:12: secondary.reference: unknown station \"demo\""),
        "{err}"
    );
    let err = Catalog::from_files([("demo.toml", GOOD), ("x/demo.toml", GOOD)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"demo\" is also the id of"), "{err}");
}

#[test]
fn a_secondary_needs_its_time_offsets() {
    let text = SECONDARY.replacen("low_water_time_offset_min = -15\n", "", 1);
    let err = parse_station("port.toml", &text).unwrap_err().to_string();
    assert!(
        err.contains(
            "port.toml:11: secondary.low_water_time_offset_min: missing; expected minutes"
        ),
        "{err}"
    );
}

#[test]
fn a_teams_own_station_joins_the_catalog_and_replaces_one_of_its_id() {
    let catalog = Catalog::from_files([("demo.toml", GOOD)]).unwrap();
    let Station::Harmonic(mut own) =
        parse_station("port.toml", &GOOD.replace("\"demo\"", "\"port\"")).unwrap()
    else {
        panic!("harmonic")
    };
    let joined = catalog.with_stations([own.clone()]);
    let ids: Vec<&str> = joined.stations().iter().map(Station::id).collect();
    assert_eq!(ids, ["demo", "port"]);
    assert!(joined.predictor("port").is_some());
    assert!(
        catalog.get("port").is_none(),
        "the base catalog is unchanged"
    );

    own.info.id = "demo".into();
    own.info.name = "Fitted".into();
    let replaced = catalog.with_stations([own]);
    assert_eq!(replaced.stations().len(), 1);
    assert_eq!(replaced.get("demo").unwrap().info().name, "Fitted");
}
