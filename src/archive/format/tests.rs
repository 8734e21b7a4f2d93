//! The export format: every piece kind round-trips, unknown optional lines
//! and unknown fields are skipped, a newer version and a cut file are
//! refused.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;
use crate::ids::PollId;
use crate::poll::{Poll, PollSpec};
use crate::store::piece::Period;

fn poll() -> Poll {
    let spec: PollSpec = serde_json::from_value(serde_json::json!({
        "id": "danh-gia",
        "question": "Bạn đánh giá thế nào?",
        "options": [{"id": "tot", "label": "Tốt"}, {"id": "kem", "label": "Kém"}]
    }))
    .unwrap();
    Poll::new(spec).unwrap()
}

fn every_kind() -> Vec<Piece> {
    let site = || "default".to_owned();
    let id = PollId::parse("danh-gia").unwrap();
    let day = "2026-11-28".parse().unwrap();
    vec![
        Piece::Counters {
            site: site(),
            baseline: 7_582_803,
            visits: 12,
        },
        Piece::Bucket {
            site: site(),
            period: Period::Day(day),
            visits: 3,
        },
        Piece::Bucket {
            site: site(),
            period: Period::Week(day.week()),
            visits: 4,
        },
        Piece::Bucket {
            site: site(),
            period: Period::Month(day.month()),
            visits: 5,
        },
        Piece::Day {
            site: site(),
            day,
            visits: 9,
            imported: 2,
        },
        Piece::Day {
            site: site(),
            day,
            visits: 9,
            imported: 0,
        },
        Piece::Page {
            site: site(),
            page: "/tin-tuc/1".into(),
            views: 4,
        },
        Piece::PageDay {
            site: site(),
            day,
            page: "/tin-tuc/1".into(),
            views: 2,
        },
        Piece::Poll {
            site: site(),
            poll: Box::new(poll()),
            counts: BTreeMap::from([("tot".into(), 1), ("_voters".into(), 1)]),
        },
        Piece::PollDay {
            site: site(),
            poll: id.clone(),
            day,
            option: "tot".into(),
            ballots: 1,
        },
        Piece::Voter {
            site: site(),
            poll: id.clone(),
            visitor: "c.00ab".into(),
            record: "b1/0f|tot".into(),
        },
        Piece::DeletedPoll {
            site: site(),
            poll: id,
        },
        Piece::Audit {
            site: site(),
            entry: "{\"who\":\"admin\"}".into(),
        },
    ]
}

fn header() -> Header {
    Header::new(
        "embedded",
        "2026-11-28T03:00:00Z".parse().unwrap(),
        &["default"],
    )
}

fn export(pieces: &[Piece]) -> Vec<u8> {
    let mut writer = Writer::new(Vec::new(), &header()).unwrap();
    for p in pieces {
        writer.piece(p).unwrap();
    }
    writer.finish().unwrap()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut out = GzEncoder::new(Vec::new(), Compression::default());
    out.write_all(text.as_bytes()).unwrap();
    out.finish().unwrap()
}

fn head_line(version: u32) -> String {
    let mut head = serde_json::to_value(header()).unwrap();
    head["format_version"] = version.into();
    head.to_string()
}

#[test]
fn every_kind_round_trips() {
    let pieces = every_kind();
    let bytes = export(&pieces);
    let reader = Reader::new(bytes.as_slice()).unwrap();
    assert_eq!(reader.header(), &header());
    let read: Vec<Piece> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(read, pieces);
}

#[test]
fn a_bucket_reads_as_its_period_and_start() {
    let day = "2026-11-28".parse().unwrap();
    let piece = Piece::Bucket {
        site: "default".into(),
        period: Period::Week(day),
        visits: 1,
    };
    let json = serde_json::to_value(&piece).unwrap();
    assert_eq!(json["period"], "week");
    // A week is named by its Monday.
    assert_eq!(json["start"], "2026-11-23");
}

#[test]
fn unknown_optional_lines_and_unknown_fields_are_skipped() {
    let text = format!(
        "{}\n{}\n{}\n{}\n",
        head_line(1),
        r#"{"kind":"page","site":"default","page":"/a","views":3,"weight":"new field"}"#,
        r#"{"kind":"site_theme","optional":true,"site":"default"}"#,
        r#"{"kind":"end","records":2}"#,
    );
    let read: Vec<Piece> = Reader::new(gzip(&text).as_slice())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        read,
        vec![Piece::Page {
            site: "default".into(),
            page: "/a".into(),
            views: 3
        }]
    );
}

#[test]
fn an_unknown_kind_not_marked_optional_is_refused() {
    let text = format!(
        "{}\n{}\n{}\n",
        head_line(1),
        r#"{"kind":"site_theme","site":"default"}"#,
        r#"{"kind":"end","records":1}"#,
    );
    let err = Reader::new(gzip(&text).as_slice())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(err.to_string().contains("\"site_theme\""), "{err}");
}

#[test]
fn a_newer_version_is_refused_naming_both() {
    let text = format!("{}\n{}\n", head_line(2), r#"{"kind":"end","records":0}"#);
    let Err(err) = Reader::new(gzip(&text).as_slice()) else {
        panic!("a newer export was read")
    };
    let line = err.to_string();
    assert!(
        line.contains("version 2") && line.contains("version 1"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);
}

#[test]
fn a_cut_file_is_refused() {
    let bytes = export(&every_kind());
    // Cut inside the compressed stream: the gzip trailer is missing.
    let cut = &bytes[..bytes.len() - 20];
    let result: Result<Vec<Piece>, _> = Reader::new(cut).unwrap().collect();
    assert!(result.is_err());
    // Whole gzip, but no end line.
    let text = format!(
        "{}\n{}\n",
        head_line(1),
        r#"{"kind":"page","site":"default","page":"/a","views":3}"#
    );
    let err = Reader::new(gzip(&text).as_slice())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(matches!(err, FormatError::Cut(_)), "{err}");
    // An end line that counts more than came.
    let text = format!("{}\n{}\n", head_line(1), r#"{"kind":"end","records":5}"#);
    let err = Reader::new(gzip(&text).as_slice())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(matches!(err, FormatError::Cut(_)), "{err}");
}

#[test]
fn something_else_is_not_an_export() {
    assert!(matches!(
        Reader::new(gzip("{\"a\":1}\n").as_slice()),
        Err(FormatError::NotAnExport(_))
    ));
    assert!(matches!(
        Reader::new(&b"plain text"[..]),
        Err(FormatError::NotAnExport(_))
    ));
}
