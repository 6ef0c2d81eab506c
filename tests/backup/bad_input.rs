//! The command line on good and bad input: a backup, its verification and
//! a restore; then a truncated file, a flipped byte, a row changed under a
//! valid compression, a newer format, a non-empty target and unreachable
//! databases — each one line on stderr, a failure exit, nothing written.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::support::{Db, Kind, drive_shipped, dump, flowkeeper, sqlite_url};

/// A SQLite store driven through every shipped workflow and its backup,
/// taken by the command line.
async fn backed_up(folder: &Path) -> (Db, PathBuf) {
    let db = Db::fresh(Kind::Sqlite, folder, "source").await.unwrap();
    drive_shipped(&db.store).await;
    let file = folder.join("good.fkb");
    let (ok, out, err) = flowkeeper(&[
        "backup",
        "--database",
        &db.url,
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "backup failed: {err}");
    assert!(
        out.starts_with(&format!("wrote {}: ", file.display())),
        "{out}"
    );
    assert!(!folder.join("good.fkb.partial").exists());
    (db, file)
}

/// A failed command: exit status, one line on stderr, and what it says.
fn fails(args: &[&str]) -> String {
    let (ok, _, err) = flowkeeper(args);
    assert!(!ok, "{args:?} succeeded");
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "not one line: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    lines[0].to_owned()
}

#[tokio::test]
async fn the_command_line_backs_up_verifies_and_restores() {
    let folder = tempfile::tempdir().unwrap();
    let (source, file) = backed_up(folder.path()).await;
    // The backup is in the source's audit log.
    let page = source
        .store
        .audit_page(&flowkeeper::store::AuditQuery {
            action: Some("backup.create".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].actor, "admin");
    let (ok, out, err) = flowkeeper(&["backup", "--verify", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("from sqlite"), "{out}");
    assert!(out.contains("\nhistory "), "{out}");
    assert!(out.trim_end().ends_with("every checksum matches"), "{out}");

    let target = folder.path().join("restored.db");
    let url = sqlite_url(&target);
    let (ok, out, err) = flowkeeper(&["restore", "--database", &url, file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.starts_with("restored "), "{out}");
    let (ok, out, _) = flowkeeper(&["audit", "verify", "--database", &url]);
    assert!(ok, "{out}");

    // Restoring again into the now full database is refused and changes
    // nothing; --force replaces it.
    let restored = flowkeeper::store::Store::connect(&url).await.unwrap();
    let before = dump(&restored).await;
    let line = fails(&["restore", "--database", &url, file.to_str().unwrap()]);
    assert!(
        line.contains("not empty") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(dump(&restored).await, before);
    let (ok, out, err) = flowkeeper(&[
        "restore",
        "--force",
        "--database",
        &url,
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("replacing what it held"), "{out}");
    let (ok, out, _) = flowkeeper(&["audit", "verify", "--database", &url]);
    assert!(ok, "{out}");
    restored.close().await;
    source.drop().await;
}

#[tokio::test]
async fn damaged_files_are_refused_before_anything_is_written() {
    let folder = tempfile::tempdir().unwrap();
    let (source, good) = backed_up(folder.path()).await;
    let bytes = std::fs::read(&good).unwrap();

    let truncated = folder.path().join("truncated.fkb");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let flipped = folder.path().join("flipped.fkb");
    let mut copy = bytes.clone();
    let middle = copy.len() / 2;
    copy[middle] ^= 0x55;
    std::fs::write(&flipped, &copy).unwrap();
    // Well compressed, but a row changed: only the table's hash can tell.
    let text = decompress(&bytes);
    let edited = text.replacen("\"tester\"", "\"intruder\"", 1);
    assert_ne!(edited, text);
    let edited_file = folder.path().join("edited.fkb");
    std::fs::write(&edited_file, compress(&edited)).unwrap();
    let not_backup = folder.path().join("notes.txt");
    std::fs::write(&not_backup, compress("{\"hello\":1}\n")).unwrap();

    for (file, says) in [
        (&truncated, "damaged or truncated"),
        (&flipped, "damaged or truncated"),
        (&edited_file, "does not match its checksum"),
        (&not_backup, "is not a flowkeeper backup"),
    ] {
        let line = fails(&["backup", "--verify", file.to_str().unwrap()]);
        assert!(line.contains(says), "{}: {line}", file.display());
        let target = folder.path().join("never.db");
        let line = fails(&[
            "restore",
            "--database",
            &sqlite_url(&target),
            file.to_str().unwrap(),
        ]);
        assert!(line.contains(says), "{}: {line}", file.display());
        assert!(
            !target.exists(),
            "a restore of {} created the target",
            file.display()
        );
    }
    source.drop().await;
}

#[tokio::test]
async fn a_newer_format_is_refused_by_name() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("future.fkb");
    let header = "{\"record\":\"header\",\"format\":\"flowkeeper-backup\",\"format_version\":2,\
                  \"source\":{\"flowkeeper\":\"9.0.0\"},\"whatever\":\"comes next\"}\n";
    std::fs::write(&file, compress(header)).unwrap();
    let line = fails(&["backup", "--verify", file.to_str().unwrap()]);
    assert!(
        line.contains("backup format 2") && line.contains("9.0.0"),
        "{line}"
    );
    let target = folder.path().join("never.db");
    fails(&[
        "restore",
        "--database",
        &sqlite_url(&target),
        file.to_str().unwrap(),
    ]);
    assert!(!target.exists());
}

#[tokio::test]
async fn unreachable_databases_fail_without_their_password() {
    let folder = tempfile::tempdir().unwrap();
    let url = "postgres://keeper:s3cret-pw@127.0.0.1:1/flowkeeper";
    let out = folder.path().join("never.fkb");
    let line = fails(&["backup", "--database", url, "--out", out.to_str().unwrap()]);
    assert!(!line.contains("s3cret-pw"), "{line}");
    assert!(line.contains("cannot open the database"), "{line}");
    assert!(
        line.contains("refused"),
        "the reason, not a pool timeout: {line}"
    );
    assert!(!out.exists());
    let missing = folder.path().join("missing.db");
    let line = fails(&[
        "backup",
        "--database",
        &sqlite_url(&missing),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(line.contains("no SQLite database"), "{line}");
    assert!(!missing.exists() && !out.exists());
    // A restore checks the file first, then meets the unreachable target.
    let (source, good) = backed_up(folder.path()).await;
    let line = fails(&["restore", "--database", url, good.to_str().unwrap()]);
    assert!(!line.contains("s3cret-pw"), "{line}");
    source.drop().await;
}

fn decompress(bytes: &[u8]) -> String {
    let mut text = String::new();
    zstd::Decoder::new(bytes)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn compress(text: &str) -> Vec<u8> {
    let mut encoder = zstd::Encoder::new(Vec::new(), 3).unwrap();
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}
