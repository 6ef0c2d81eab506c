//! The assessment calculator against the shipped `workflows/assessment.toml`:
//! every band edge, exact rates, attribution, the first-time resolution
//! predicate, periods, loader messages and the three output formats.

use std::path::Path;

use flowkeeper::assess::{self, AssessError, AssessmentConfig, Period, PeriodSpec, Ratio, Report};
use flowkeeper::engine::{HistoryData, SlaDecision, SlaOutcome};
use flowkeeper::store::AssessmentRow;
use serde_json::{Value as Json, json};
use uuid::Uuid;

const SHIPPED: &str = include_str!("../workflows/assessment.toml");

fn config() -> AssessmentConfig {
    assess::load_str(Path::new("workflows/assessment.toml"), SHIPPED).unwrap()
}

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn october(config: &AssessmentConfig) -> Period {
    PeriodSpec::parse(Some("2026-10"), None, None, None)
        .unwrap()
        .resolve(config.time_zone())
        .unwrap()
}

/// Builds one service_desk ticket's history row by row.
struct Ticket {
    rows: Vec<AssessmentRow>,
    state: String,
    clock: i64,
}

impl Ticket {
    fn new(number: u128, created: &str) -> Self {
        let clock = at(created);
        let mut ticket = Self {
            rows: Vec::new(),
            state: String::new(),
            clock,
        };
        let created = HistoryData::Created(Default::default());
        ticket.push(None, Some("submitted"), created);
        ticket.rows[0].instance_id = Uuid::from_u128(number);
        ticket
    }

    fn push(&mut self, event: Option<&str>, to: Option<&str>, data: HistoryData) {
        let from = (!self.state.is_empty()).then(|| self.state.clone());
        let to = to.map_or_else(|| self.state.clone(), str::to_owned);
        self.rows.push(AssessmentRow {
            instance_id: self.rows.first().map_or(Uuid::nil(), |row| row.instance_id),
            seq: self.rows.len() as i64 + 1,
            workflow: "service_desk".into(),
            kind: data.kind(),
            at: self.clock,
            event: event.map(str::to_owned),
            from_state: from,
            to_state: Some(to.clone()),
            data: Some(data),
        });
        self.state = to;
        self.clock += 60_000;
    }

    /// An event moving the ticket to `to` (or keeping it where it is).
    fn on(mut self, event: &str, to: Option<&str>, data: Json) -> Self {
        let data = data.as_object().cloned().unwrap_or_default();
        self.push(Some(event), to, HistoryData::Event(data));
        self
    }

    fn sla(mut self, clock: &str, outcome: &str, role: &str) -> Self {
        let decision = SlaDecision {
            sla: clock.into(),
            cycle: 1,
            outcome: match outcome {
                "met" => SlaOutcome::Met,
                _ => SlaOutcome::Missed,
            },
            role: Some(role.into()),
            due_at: 0,
        };
        self.push(None, None, HistoryData::Sla(decision));
        self
    }

    fn at(mut self, when: &str) -> Self {
        self.clock = at(when);
        self
    }

    fn handled_by(self, group: &str) -> Self {
        self.on("receive", Some("received"), json!({}))
            .on("dispatch", Some("dispatched"), json!({"group": group}))
            .on("accept", Some("handling"), json!({}))
    }

    fn closed(self, satisfied: bool) -> Self {
        self.on(
            "resolve",
            Some("confirmation"),
            json!({"needs_change": false}),
        )
        .on("confirm", Some("closed"), json!({"satisfied": satisfied}))
    }
}

fn history(tickets: Vec<Ticket>) -> Vec<AssessmentRow> {
    let mut rows: Vec<AssessmentRow> = tickets.into_iter().flat_map(|ticket| ticket.rows).collect();
    rows.sort_by_key(|row| (row.instance_id, row.seq));
    rows
}

fn indicator<'r>(report: &'r Report, role: &str, id: &str) -> &'r assess::IndicatorReport {
    report
        .roles
        .iter()
        .find(|entry| entry.role == role)
        .unwrap_or_else(|| panic!("no role {role} in {report:#?}"))
        .indicators
        .iter()
        .find(|entry| entry.id == id)
        .unwrap_or_else(|| panic!("role {role} has no {id}"))
}

fn counts(report: &Report, role: &str, id: &str) -> (u64, u64, Option<i64>) {
    let found = indicator(report, role, id);
    (found.numerator, found.denominator, found.points)
}

mod bands {
    use super::*;

    /// (indicator, numerator, denominator, points): at, just below and just
    /// above every bound of all seven shipped tables, plus rates that a
    /// rounded percentage would put in the wrong band.
    const EDGES: &[(&str, u64, u64, i64)] = &[
        ("first_time_resolution", 1, 1, 10),
        ("first_time_resolution", 701, 1000, 10),
        ("first_time_resolution", 7, 10, 10),
        ("first_time_resolution", 699, 1000, 8),
        ("first_time_resolution", 139, 200, 8),
        ("first_time_resolution", 1399, 2000, 8),
        ("first_time_resolution", 601, 1000, 8),
        ("first_time_resolution", 6, 10, 8),
        ("first_time_resolution", 599, 1000, 6),
        ("first_time_resolution", 501, 1000, 6),
        ("first_time_resolution", 5, 10, 6),
        ("first_time_resolution", 499, 1000, 4),
        ("first_time_resolution", 401, 1000, 4),
        ("first_time_resolution", 4, 10, 4),
        ("first_time_resolution", 399, 1000, 3),
        ("first_time_resolution", 301, 1000, 3),
        ("first_time_resolution", 3, 10, 3),
        ("first_time_resolution", 299, 1000, 2),
        ("first_time_resolution", 201, 1000, 2),
        ("first_time_resolution", 2, 10, 2),
        ("first_time_resolution", 199, 1000, 1),
        ("first_time_resolution", 101, 1000, 1),
        ("first_time_resolution", 1, 10, 1),
        ("first_time_resolution", 99, 1000, 0),
        ("first_time_resolution", 1999, 20000, 0),
        ("first_time_resolution", 0, 5, 0),
        ("timely_handling", 1, 1, 20),
        ("timely_handling", 901, 1000, 20),
        ("timely_handling", 9, 10, 20),
        ("timely_handling", 899, 1000, 15),
        ("timely_handling", 17999, 20000, 15),
        ("timely_handling", 801, 1000, 15),
        ("timely_handling", 8, 10, 15),
        ("timely_handling", 799, 1000, 10),
        ("timely_handling", 701, 1000, 10),
        ("timely_handling", 7, 10, 10),
        ("timely_handling", 699, 1000, 5),
        ("timely_handling", 601, 1000, 5),
        ("timely_handling", 6, 10, 5),
        ("timely_handling", 599, 1000, 0),
        ("timely_handling", 0, 3, 0),
        ("hang_rate", 3, 2, -3),
        ("hang_rate", 101, 1000, -3),
        ("hang_rate", 1, 10, -3),
        ("hang_rate", 99, 1000, -2),
        ("hang_rate", 1999, 20000, -2),
        ("hang_rate", 51, 1000, -2),
        ("hang_rate", 5, 100, -2),
        ("hang_rate", 49, 1000, 0),
        ("hang_rate", 0, 7, 0),
        ("complaint_rate", 2, 1, -3),
        ("complaint_rate", 101, 1000, -3),
        ("complaint_rate", 1, 10, -3),
        ("complaint_rate", 99, 1000, -2),
        ("complaint_rate", 51, 1000, -2),
        ("complaint_rate", 5, 100, -2),
        ("complaint_rate", 49, 1000, -1),
        ("complaint_rate", 11, 1000, -1),
        ("complaint_rate", 1, 100, -1),
        ("complaint_rate", 9, 1000, 0),
        ("complaint_rate", 199, 20000, 0),
        ("complaint_rate", 0, 1, 0),
        ("escalated_complaint_rate", 101, 1000, -5),
        ("escalated_complaint_rate", 1, 10, -5),
        ("escalated_complaint_rate", 99, 1000, -3),
        ("escalated_complaint_rate", 1999, 20000, -3),
        ("escalated_complaint_rate", 51, 1000, -3),
        ("escalated_complaint_rate", 5, 100, -3),
        ("escalated_complaint_rate", 49, 1000, -1),
        ("escalated_complaint_rate", 11, 1000, -1),
        ("escalated_complaint_rate", 1, 100, -1),
        ("escalated_complaint_rate", 9, 1000, 0),
        ("escalated_complaint_rate", 0, 1, 0),
        ("timely_response", 1, 1, 5),
        ("timely_response", 901, 1000, 5),
        ("timely_response", 9, 10, 5),
        ("timely_response", 899, 1000, 4),
        ("timely_response", 801, 1000, 4),
        ("timely_response", 8, 10, 4),
        ("timely_response", 799, 1000, 3),
        ("timely_response", 701, 1000, 3),
        ("timely_response", 7, 10, 3),
        ("timely_response", 699, 1000, 2),
        ("timely_response", 601, 1000, 2),
        ("timely_response", 6, 10, 2),
        ("timely_response", 599, 1000, 0),
        ("timely_response", 0, 1, 0),
        ("timely_reply", 1, 1, 5),
        ("timely_reply", 901, 1000, 5),
        ("timely_reply", 9, 10, 5),
        ("timely_reply", 899, 1000, 4),
        ("timely_reply", 801, 1000, 4),
        ("timely_reply", 8, 10, 4),
        ("timely_reply", 799, 1000, 3),
        ("timely_reply", 701, 1000, 3),
        ("timely_reply", 7, 10, 3),
        ("timely_reply", 699, 1000, 2),
        ("timely_reply", 601, 1000, 2),
        ("timely_reply", 6, 10, 2),
        ("timely_reply", 599, 1000, 0),
        ("timely_reply", 0, 1, 0),
    ];

    #[test]
    fn every_edge_of_every_shipped_table_scores_as_the_seed_says() {
        let config = config();
        let mut failures = Vec::new();
        for &(id, numerator, denominator, points) in EDGES {
            let indicator = config
                .indicators()
                .iter()
                .find(|indicator| indicator.id() == id)
                .unwrap();
            let rate = Ratio::new(numerator, denominator).unwrap();
            let got = indicator.bands().band_of(rate).points;
            if got != points {
                failures.push(format!(
                    "{id} {numerator}/{denominator}: {got}, want {points}"
                ));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        let covered: std::collections::BTreeSet<&str> = EDGES.iter().map(|edge| edge.0).collect();
        assert_eq!(covered.len(), config.indicators().len());
    }

    #[test]
    fn the_shipped_file_closes_the_seeds_hole_and_says_so() {
        for id in ["hang_rate", "escalated_complaint_rate"] {
            let indicator = config()
                .indicators()
                .iter()
                .find(|i| i.id() == id)
                .cloned()
                .unwrap();
            let ten = Ratio::parse("10%").unwrap();
            assert_eq!(
                indicator.bands().band_of(ten).points,
                indicator.max_points()
            );
        }
        assert_eq!(
            SHIPPED.matches("超過10%").count() + SHIPPED.matches("超過 10%").count(),
            2
        );
        assert_eq!(SHIPPED.matches("cannot be better than 9.9 %").count(), 2);
    }

    /// The seed's own wording, `above = "10%"`, must be refused with the
    /// hole named at the band's line.
    #[test]
    fn the_seeds_wording_is_refused_with_the_hole_named() {
        let seed = SHIPPED.replacen(
            "{ at_least = \"10%\", points = -3 },\n    { at_least = \"5%\", below = \"10%\", points = -2 },\n    { below = \"5%\"",
            "{ above = \"10%\", points = -3 },\n    { at_least = \"5%\", below = \"10%\", points = -2 },\n    { below = \"5%\"",
            1,
        );
        assert_ne!(seed, SHIPPED);
        let error = assess::load_str(Path::new("assessment.toml"), &seed)
            .unwrap_err()
            .to_string();
        let line = seed
            .lines()
            .position(|line| line.contains("above = \"10%\""))
            .unwrap()
            + 1;
        assert_eq!(
            error,
            format!(
                "assessment.toml:{line}:5: indicator `hang_rate`: rates in [10 %, 10 %] are not covered"
            )
        );
    }
}

mod loader {
    use super::*;

    /// A one-indicator file with `bands` and `extra` lines spliced in.
    fn file(numerator: &str, attribution: &str, bands: &str) -> String {
        format!(
            "[roles]\ndefault = [\"x\"]\n\n[indicators.x]\ntitle = \"X\"\ntitle_en = \"X\"\nworkflow = \"service_desk\"\nmax_points = 5\nnumerator = {numerator}\ndenominator = {{ sla = {{ clock = \"reply\", outcome = \"decided\" }} }}\nattribution = {attribution}\nbands = [\n{bands}\n]\n"
        )
    }

    const SLA: &str = "{ sla = { clock = \"reply\", outcome = \"met\" } }";
    const GOOD_BANDS: &str =
        "  { at_least = \"50%\", points = 5 },\n  { below = \"50%\", points = 0 },";

    fn errors(text: &str) -> String {
        assess::load_str(Path::new("a.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_good_file_loads() {
        let config =
            assess::load_str(Path::new("a.toml"), &file(SLA, "\"sla_role\"", GOOD_BANDS)).unwrap();
        assert_eq!(config.workflows(), ["service_desk"]);
    }

    #[test]
    fn gaps_overlaps_and_bad_bands_are_named_with_their_place() {
        let cases = [
            (
                "  { at_least = \"50%\", points = 5 },\n  { below = \"40%\", points = 0 },",
                "a.toml:13:3: indicator `x`: rates in [40 %, 50 %) are not covered",
            ),
            (
                "  { at_least = \"50%\", points = 5 },\n  { at_most = \"50%\", points = 0 },",
                "a.toml:13:3: indicator `x`: rates in [50 %, 50 %] fall in two bands (2 and 1)",
            ),
            (
                "  { below = \"50%\", points = 0 },",
                "a.toml:12:9: indicator `x`: rates in [50 %, ∞) are not covered",
            ),
            (
                "  { at_least = \"50%\", above = \"40%\", points = 5 },\n  { below = \"50%\", points = 0 },",
                "a.toml:13:3: a band has one lower end: `at_least` or `above`, not both",
            ),
            (
                "  { at_least = \"half\", points = 5 },\n  { below = \"50%\", points = 0 },",
                "a.toml:13:16: `half` is not a rate: write a percentage (\"69.5%\"), a fraction (\"7/10\") or a decimal (\"0.695\")",
            ),
            (
                "  { at_least = \"50%\", points = 6 },\n  { below = \"50%\", points = 0 },",
                "a.toml:13:32: 6 points lie outside 0 … 5 (`max_points`)",
            ),
        ];
        for (bands, expected) in cases {
            assert_eq!(
                errors(&file(SLA, "\"sla_role\"", bands)),
                expected,
                "{bands}"
            );
        }
    }

    #[test]
    fn counts_attribution_roles_and_unknown_keys_are_checked() {
        let events = "{ events = \"complain\" }";
        assert!(
            errors(&file(events, "\"sla_role\"", GOOD_BANDS))
                .starts_with("a.toml:11:15: attribution `sla_role` credits SLA outcomes")
        );
        let two_anchors = "{ instances = { reached = \"closed\", created = true } }";
        let message = errors(&file(two_anchors, "\"all\"", GOOD_BANDS));
        assert!(
            message.starts_with("a.toml:9:15: an instance count needs exactly one of"),
            "{message}"
        );
        let typo =
            file(SLA, "\"sla_role\"", GOOD_BANDS).replace("default = [\"x\"]", "default = [\"y\"]");
        assert_eq!(
            errors(&typo),
            "a.toml:2:12: role `default` selects unknown indicator `y`"
        );
        let unknown = file(SLA, "\"sla_role\"", GOOD_BANDS).replace("title_en", "titel_en");
        assert!(
            errors(&unknown).contains("unknown field `titel_en`"),
            "{}",
            errors(&unknown)
        );
        let zone = format!(
            "time_zone = \"Mars/Olympus\"\n{}",
            file(SLA, "\"sla_role\"", GOOD_BANDS)
        );
        assert!(errors(&zone).starts_with("a.toml:1:13: unknown time zone `Mars/Olympus`"));
    }
}

mod calculation {
    use super::*;

    #[test]
    fn attribution_credits_sla_roles_and_the_holding_group() {
        let config = config();
        let tickets = vec![
            // bss holds it, puts it on hold, meets the handling clock.
            Ticket::new(1, "2026-10-02T08:00:00Z")
                .handled_by("bss")
                .on("hold", Some("on_hold"), json!({"reason": "parts"}))
                .on("resume", Some("handling"), json!({}))
                .sla("handling", "met", "bss"),
            // bss hands it to net, which misses the clock and holds it.
            Ticket::new(2, "2026-10-03T08:00:00Z")
                .handled_by("bss")
                .on("transfer", Some("dispatched"), json!({"group": "net"}))
                .on("accept", Some("handling"), json!({}))
                .sla("handling", "missed", "net")
                .on("hold", Some("on_hold"), json!({})),
            // net meets the clock, no hold.
            Ticket::new(3, "2026-10-04T08:00:00Z")
                .handled_by("net")
                .sla("handling", "met", "net"),
            // An outcome from September is not October's.
            Ticket::new(4, "2026-09-20T08:00:00Z")
                .handled_by("net")
                .sla("handling", "missed", "net"),
        ];
        let report = assess::run(&config, history(tickets), october(&config), None).unwrap();
        let roles: Vec<&str> = report.roles.iter().map(|role| role.role.as_str()).collect();
        assert_eq!(roles, ["service_desk", "bss", "net"]);
        assert_eq!(counts(&report, "bss", "timely_handling"), (1, 1, Some(20)));
        assert_eq!(counts(&report, "net", "timely_handling"), (1, 2, Some(0)));
        // bss: tickets 1 and 2 entered handling with bss, ticket 1 went on hold.
        assert_eq!(counts(&report, "bss", "hang_rate"), (1, 2, Some(-3)));
        // net: tickets 2 and 3 entered handling with net, ticket 2 went on hold.
        assert_eq!(counts(&report, "net", "hang_rate"), (1, 2, Some(-3)));
        let bss = report.roles.iter().find(|role| role.role == "bss").unwrap();
        assert_eq!(bss.total, 17);
    }

    #[test]
    fn first_time_resolution_needs_satisfied_and_no_return() {
        let config = config();
        let tickets = vec![
            Ticket::new(1, "2026-10-02T08:00:00Z")
                .handled_by("bss")
                .closed(true),
            Ticket::new(2, "2026-10-02T09:00:00Z")
                .handled_by("bss")
                .on("note", None, json!({"text": "called the user"}))
                .closed(true),
            Ticket::new(3, "2026-10-02T10:00:00Z")
                .on("receive", Some("received"), json!({}))
                .on("dispatch", Some("dispatched"), json!({"group": "bss"}))
                .on("bounce", Some("received"), json!({"reason": "wrong group"}))
                .on("dispatch", Some("dispatched"), json!({"group": "net"}))
                .on("accept", Some("handling"), json!({}))
                .closed(true),
            Ticket::new(4, "2026-10-02T11:00:00Z")
                .handled_by("bss")
                .closed(false),
            Ticket::new(5, "2026-10-02T12:00:00Z")
                .handled_by("bss")
                .on("resolve", Some("confirmation"), json!({}))
                .on("reopen", Some("handling"), json!({}))
                .closed(true),
            // Closed in November: in neither count of October.
            Ticket::new(6, "2026-10-30T12:00:00Z")
                .handled_by("bss")
                .at("2026-11-01T00:00:00Z")
                .closed(true),
        ];
        let report = assess::run(
            &config,
            history(tickets),
            october(&config),
            Some("service_desk"),
        )
        .unwrap();
        assert_eq!(
            counts(&report, "service_desk", "first_time_resolution"),
            (2, 5, Some(4))
        );
    }

    #[test]
    fn complaints_count_events_escalations_count_tickets() {
        let config = config();
        let mut tickets: Vec<Ticket> = (1..=10)
            .map(|n| {
                Ticket::new(n, "2026-10-10T00:00:00Z")
                    .handled_by("bss")
                    .closed(true)
            })
            .collect();
        tickets[0] = Ticket::new(1, "2026-10-10T00:00:00Z")
            .on("complain", None, json!({"text": "slow"}))
            .on("complain", None, json!({"text": "still slow"}))
            .on("escalated_complaint", None, json!({"text": "to the boss"}))
            .on("escalated_complaint", None, json!({"text": "again"}))
            .handled_by("bss")
            .closed(true);
        let report = assess::run(&config, history(tickets), october(&config), None).unwrap();
        // 2 complaints / 10 tickets created = 20 % → −3.
        assert_eq!(
            counts(&report, "service_desk", "complaint_rate"),
            (2, 10, Some(-3))
        );
        // 1 ticket escalated / 10 closed = exactly 10 % → the heavier −5.
        assert_eq!(
            counts(&report, "service_desk", "escalated_complaint_rate"),
            (1, 10, Some(-5))
        );
        // `all` attribution: the same value for every role selecting it; bss does not.
        assert!(
            report
                .roles
                .iter()
                .find(|role| role.role == "bss")
                .unwrap()
                .indicators
                .iter()
                .all(|i| i.id != "complaint_rate")
        );
    }

    #[test]
    fn zero_denominators_are_no_data_and_left_out_of_the_total() {
        let config = config();
        let tickets = vec![
            Ticket::new(1, "2026-10-02T08:00:00Z")
                .sla("response", "met", "service_desk")
                .on("receive", Some("received"), json!({})),
        ];
        let report = assess::run(&config, history(tickets), october(&config), None).unwrap();
        let desk = &report.roles[0];
        assert_eq!(desk.role, "service_desk");
        assert_eq!(desk.total, 5);
        let response = indicator(&report, "service_desk", "timely_response");
        assert_eq!((response.rate, response.points), (Some(1.0), Some(5)));
        for id in [
            "timely_reply",
            "first_time_resolution",
            "escalated_complaint_rate",
        ] {
            let empty = indicator(&report, "service_desk", id);
            assert_eq!(empty.denominator, 0, "{id}");
            assert_eq!(
                (empty.rate, &empty.rate_percent, empty.points),
                (None, &None, None),
                "{id}"
            );
        }
        // A role asked for by name shows even without facts: all no data.
        let vendor = assess::run(
            &config,
            Vec::<AssessmentRow>::new(),
            october(&config),
            Some("vendor_a"),
        )
        .unwrap();
        assert_eq!(vendor.roles.len(), 1);
        assert_eq!(vendor.roles[0].total, 0);
        assert!(
            vendor.roles[0]
                .indicators
                .iter()
                .all(|i| i.points.is_none())
        );
        assert_eq!(vendor.roles[0].indicators.len(), 2);
    }

    #[test]
    fn periods_are_half_open_in_the_configured_zone() {
        let shanghai = SHIPPED.replace("time_zone = \"UTC\"", "time_zone = \"Asia/Shanghai\"");
        let config = assess::load_str(Path::new("a.toml"), &shanghai).unwrap();
        let period = october(&config);
        let outcome =
            |number, when: &str| Ticket::new(number, when).sla("response", "met", "service_desk");
        let tickets = vec![
            outcome(1, "2026-09-30T15:59:59.999Z"), // 23:59:59.999 on 30 Sep in Shanghai
            outcome(2, "2026-09-30T16:00:00Z"),     // midnight 1 Oct in Shanghai: in
            outcome(3, "2026-10-31T15:59:59.999Z"), // in
            outcome(4, "2026-10-31T16:00:00Z"),     // midnight 1 Nov: out
        ];
        let report = assess::run(&config, history(tickets), period, Some("service_desk")).unwrap();
        assert_eq!(report.from, "2026-09-30T16:00:00.000Z");
        assert_eq!(report.to, "2026-10-31T16:00:00.000Z");
        assert_eq!(
            counts(&report, "service_desk", "timely_response"),
            (2, 2, Some(5))
        );
        assert!(
            report
                .to_table()
                .contains("2026-10-01 00:00 – 2026-11-01 00:00 (Asia/Shanghai")
        );
    }

    #[test]
    fn a_yearly_assessment_counts_the_years_facts() {
        let config = config();
        let tickets: Vec<Ticket> = (1..=12)
            .map(|month| {
                let outcome = if month <= 9 { "met" } else { "missed" };
                Ticket::new(month, &format!("2026-{month:02}-15T00:00:00Z")).sla(
                    "reply",
                    outcome,
                    "service_desk",
                )
            })
            .collect();
        let year = PeriodSpec::parse(None, Some("2026"), None, None)
            .unwrap()
            .resolve(config.time_zone())
            .unwrap();
        let report = assess::run(&config, history(tickets), year, Some("service_desk")).unwrap();
        assert_eq!(
            counts(&report, "service_desk", "timely_reply"),
            (9, 12, Some(3))
        );
    }

    #[test]
    fn rows_out_of_order_are_refused_not_miscounted() {
        let config = config();
        let mut rows = history(vec![
            Ticket::new(1, "2026-10-02T08:00:00Z").handled_by("bss"),
            Ticket::new(2, "2026-10-02T08:00:00Z").handled_by("bss"),
        ]);
        rows.swap(0, 5);
        let error = assess::run(&config, rows, october(&config), None).unwrap_err();
        assert!(matches!(error, AssessError::Unordered { .. }));
    }
}

mod output {
    use super::*;

    fn sample() -> Report {
        let config = config();
        let mut tickets: Vec<Ticket> = (1..=200)
            .map(|n| {
                let outcome = if n <= 139 { "met" } else { "missed" };
                Ticket::new(n, "2026-10-10T00:00:00Z").sla("response", outcome, "service_desk")
            })
            .collect();
        tickets.push(
            Ticket::new(201, "2026-10-11T00:00:00Z")
                .handled_by("bss, the \"core\" group")
                .sla("handling", "met", "bss, the \"core\" group"),
        );
        assess::run(&config, history(tickets), october(&config), None).unwrap()
    }

    #[test]
    fn json_has_the_api_shape() {
        let json: Json = serde_json::from_str(&sample().to_json()).unwrap();
        let keys = |value: &Json| {
            value
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&json), ["from", "to", "time_zone", "roles"]);
        assert_eq!(json["from"], "2026-10-01T00:00:00.000Z");
        let role = &json["roles"][0];
        assert_eq!(keys(role), ["role", "total", "indicators"]);
        let response = &role["indicators"][0];
        assert_eq!(
            keys(response),
            [
                "id",
                "title",
                "title_en",
                "numerator",
                "denominator",
                "rate",
                "rate_percent",
                "band",
                "points",
                "max_points"
            ]
        );
        assert_eq!(response["id"], "timely_response");
        assert_eq!(response["rate"], json!(0.695));
        assert_eq!(response["rate_percent"], "69.5");
        assert_eq!(response["points"], 2);
        assert_eq!(role["indicators"][1]["rate"], Json::Null);
        assert_eq!(role["indicators"][1]["points"], Json::Null);
    }

    #[test]
    fn json_csv_and_table_show_the_same_numbers() {
        let report = sample();
        let json: Json = serde_json::from_str(&report.to_json()).unwrap();
        let csv = report.to_csv();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let table = report.to_table();
        let mut rows = 0;
        for role in json["roles"].as_array().unwrap() {
            for indicator in role["indicators"].as_array().unwrap() {
                let line = lines.next().unwrap();
                let fields = split_csv(line);
                let field =
                    |name: &str| fields[header.iter().position(|h| *h == name).unwrap()].clone();
                let text = |value: &Json| match value {
                    Json::Null => String::new(),
                    Json::String(text) => text.clone(),
                    other => other.to_string(),
                };
                assert_eq!(field("role"), text(&role["role"]));
                assert_eq!(field("role_total"), text(&role["total"]));
                for name in [
                    "numerator",
                    "denominator",
                    "rate",
                    "rate_percent",
                    "band",
                    "points",
                    "max_points",
                ] {
                    assert_eq!(field(name), text(&indicator[name]), "{name} in {line}");
                }
                assert_eq!(field("indicator"), text(&indicator["id"]));
                let shown = match &indicator["rate_percent"] {
                    Json::String(rate) => format!("{rate} %"),
                    _ => "no data".to_owned(),
                };
                let title = format!(
                    "{} {}",
                    text(&indicator["title"]),
                    text(&indicator["title_en"])
                );
                let table_line = table
                    .lines()
                    .find(|l| l.contains(&title) && table_role(&table, l) == text(&role["role"]));
                let table_line =
                    table_line.unwrap_or_else(|| panic!("{title} missing in\n{table}"));
                assert!(table_line.contains(&shown), "{table_line}");
                rows += 1;
            }
            assert!(table.contains(&format!(
                "{}: total {} points",
                role["role"].as_str().unwrap(),
                role["total"]
            )));
        }
        assert!(lines.next().is_none());
        assert_eq!(rows, 5 + 2);
        assert!(table.contains("69.5 %") && table.contains("no data"));
    }

    /// The role heading a table line belongs to.
    fn table_role<'t>(table: &'t str, line: &str) -> &'t str {
        let index = table.find(line).unwrap();
        let heading = table[..index]
            .lines()
            .rev()
            .find(|l| l.contains(": total "))
            .unwrap();
        heading.split(": total ").next().unwrap()
    }

    /// RFC 4180 fields of one line.
    fn split_csv(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(String::new()),
                (c, _) => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    }
}
