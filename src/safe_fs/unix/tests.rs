//! Planted links, modes, owners and folders, on a real file system (owner tests need root).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::*;
use crate::safe_fs::{
    FolderError, WriteOptions, open_append, permission_warnings, private_dir, write_atomic,
    write_atomic_with,
};

/// A fresh 0700 folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("cfingress-safefs-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .unwrap_or_else(|e| panic!("{e}"));
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        chmod(&p, mode);
        p
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{e}"));
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).map_or(0, |m| m.mode() & 0o7777)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

fn link(target: &Path, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap_or_else(|e| panic!("{e}"));
}

fn am_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn a_link_planted_at_the_backup_name_is_replaced_not_written_through() {
    let d = Scratch::new("bak-link");
    let config = d.file("config.yml", "old\n", 0o640);
    let victim = d.file("victim", "precious\n", 0o600);
    link(&victim, &d.0.join("config.yml.bak"));
    let w = write_atomic(&config, b"new\n", &WriteOptions::CONFIG);
    let bak = d.0.join("config.yml.bak");
    assert_eq!(w.ok().and_then(|w| w.backup), Some(bak.clone()));
    assert_eq!(read(&config), "new\n");
    assert!(!is_link(&config) && mode(&config) == 0o640);
    assert!(!is_link(&bak), "the planted link was replaced");
    assert_eq!(read(&bak), "old\n");
    assert_eq!(
        (read(&victim), mode(&victim)),
        ("precious\n".to_owned(), 0o600)
    );
    assert_eq!(d.names(), ["config.yml", "config.yml.bak", "victim"]);
}

#[test]
fn links_planted_at_temporary_names_are_never_followed() {
    let d = Scratch::new("tmp-link");
    let victim = d.file("victim", "precious\n", 0o600);
    // The name the writer used before (pid-based), and a name the writer is handed.
    let old_style = format!(".config.yml.cfingress-{}.tmp", std::process::id());
    link(&victim, &d.0.join(&old_style));
    let dir = open_dir(&d.0).unwrap_or_else(|e| panic!("{e}"));
    let taken = rustix::fs::openat(
        &dir,
        old_style.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW,
        Mode::RUSR | Mode::WUSR,
    );
    assert_eq!(
        taken.err(),
        Some(Errno::EXIST),
        "O_EXCL refuses a planted link"
    );
    let config = d.file("config.yml", "old\n", 0o644);
    assert!(write_atomic(&config, b"new\n", &WriteOptions::CONFIG).is_ok());
    assert_eq!(read(&config), "new\n");
    assert_eq!(read(&victim), "precious\n");
    assert!(is_link(&d.0.join(&old_style)));
    // Random names: two in a row differ, and stay short for long file names.
    let long = OsStr::new(&"x".repeat(250)).to_os_string();
    let (a, b) = (temp_name(&long), temp_name(&long));
    assert_ne!(a, b);
    assert!(a.len() < 100, "{a:?}");
}

#[test]
fn a_link_at_the_target_itself_is_refused_and_kept() {
    let d = Scratch::new("target-link");
    let real = d.file("real.yml", "old\n", 0o644);
    let config = d.0.join("config.yml");
    link(&real, &config);
    let e = write_atomic(&config, b"new\n", &WriteOptions::CONFIG);
    let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("is now a symbolic link"), "{msg}");
    assert!(is_link(&config));
    assert_eq!(read(&real), "old\n");
    assert_eq!(d.names(), ["config.yml", "real.yml"], "nothing left behind");
    // So is a folder at the name.
    std::fs::create_dir(d.0.join("dir")).unwrap_or_else(|e| panic!("{e}"));
    let e = write_atomic(&d.0.join("dir"), b"x", &WriteOptions::PRIVATE);
    assert!(e.is_err_and(|e| e.to_string().contains("not a regular file")));
}

#[test]
fn the_backup_is_the_replaced_file_itself_and_the_copy_keeps_its_mode() {
    let d = Scratch::new("bak-link-copy");
    let config = d.file("config.yml", "v1\n", 0o604);
    let inode = std::fs::metadata(&config).map_or(0, |m| m.ino());
    assert!(write_atomic(&config, b"v2\n", &WriteOptions::CONFIG).is_ok());
    let bak = d.0.join("config.yml.bak");
    assert_eq!(
        std::fs::metadata(&bak).map_or(1, |m| m.ino()),
        inode,
        "a hard link"
    );
    assert_eq!((read(&bak), mode(&bak)), ("v1\n".to_owned(), 0o604));
    // The fallback when hard links are refused: a copy, with the original's mode.
    let dir = open_dir(&d.0).unwrap_or_else(|e| panic!("{e}"));
    let old = lstat_at(&dir, OsStr::new("config.yml"))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("config.yml is there"));
    let copied = copy_of(
        &dir,
        "scratch",
        OsStr::new("config.yml"),
        OsStr::new("c.bak"),
        &old,
    );
    let Ok((copy, tmp)) = copied else {
        panic!("{:?}", copied.err())
    };
    drop(copy);
    let tmp = d.0.join(tmp);
    assert_eq!((read(&tmp), mode(&tmp)), ("v2\n".to_owned(), 0o604));
    assert_ne!(std::fs::metadata(&tmp).map_or(0, |m| m.ino()), inode);
}

#[test]
fn modes_are_set_through_the_descriptor() {
    let d = Scratch::new("modes");
    // Private files are 0600 whatever they replace.
    let draft = d.file("draft.json", "{}", 0o644);
    assert!(write_atomic(&draft, b"{\"a\":1}", &WriteOptions::PRIVATE).is_ok());
    assert_eq!(mode(&draft), 0o600);
    // A new config file gets 0644, a replaced one keeps its mode (even read-only).
    let fresh = d.0.join("new.yml");
    let w = write_atomic(&fresh, b"x", &WriteOptions::CONFIG);
    assert_eq!(w.ok().map(|w| w.backup), Some(None), "nothing to back up");
    assert_eq!(mode(&fresh), 0o644);
    let ro = d.file("ro.yml", "x", 0o440);
    assert!(write_atomic(&ro, b"y", &WriteOptions::CONFIG).is_ok());
    assert_eq!((read(&ro), mode(&ro)), ("y".to_owned(), 0o440));
}

#[test]
fn the_owner_and_group_of_a_service_accounts_file_are_kept() {
    if !am_root() {
        eprintln!("skipped: only root can create a file owned by another user");
        return;
    }
    let d = Scratch::new("owner");
    let config = d.file("config.yml", "old\n", 0o640);
    std::os::unix::fs::chown(&config, Some(4242), Some(4243)).unwrap_or_else(|e| panic!("{e}"));
    assert!(write_atomic(&config, b"new\n", &WriteOptions::CONFIG).is_ok());
    let m = std::fs::metadata(&config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (4242, 4243, 0o640));
    let b = std::fs::metadata(d.0.join("config.yml.bak")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((b.uid(), b.gid()), (4242, 4243));
    // Private files belong to whoever runs cfingress.
    assert!(write_atomic(&config, b"x", &WriteOptions::PRIVATE).is_ok());
    let m = std::fs::metadata(&config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.uid(), m.mode() & 0o777), (0, 0o600));
}

#[test]
fn a_failed_write_leaves_the_file_and_the_folder_as_they_were() {
    let d = Scratch::new("fail");
    let config = d.file("config.yml", "old\n", 0o644);
    let r = write_atomic_with(&config, &WriteOptions::CONFIG, |w| {
        w.write_all(b"half")?;
        Err(io::Error::other("disk full"))
    });
    assert!(r.is_err_and(|e| e.to_string().contains("disk full")));
    assert_eq!(read(&config), "old\n");
    assert_eq!(d.names(), ["config.yml"]);
    let missing = write_atomic(&d.0.join("no/such/dir/x"), b"x", &WriteOptions::PRIVATE);
    assert!(missing.is_err_and(|e| e.to_string().contains("cannot open the folder")));
}

#[test]
fn appending_refuses_links_and_pipes() {
    let d = Scratch::new("append");
    let victim = d.file("victim", "precious\n", 0o600);
    let log = d.0.join("cfingress.log");
    link(&victim, &log);
    let e = open_append(&log);
    assert!(e.is_err_and(|e| e.to_string().contains("symbolic link")));
    assert_eq!(read(&victim), "precious\n");
    // A pipe would block a plain open for writing until someone reads it.
    let fifo = d.0.join("fifo.log");
    rustix::fs::mknodat(CWD, &fifo, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(open_append(&fifo).is_err());
    let fresh = d.0.join("fresh.log");
    let f = open_append(&fresh);
    assert!(f.is_ok_and(|mut f| f.write_all(b"line\n").is_ok()));
    assert!(open_append(&fresh).is_ok_and(|mut f| f.write_all(b"more\n").is_ok()));
    assert_eq!(
        (read(&fresh), mode(&fresh)),
        ("line\nmore\n".to_owned(), 0o600)
    );
}

#[test]
fn existing_folders_are_judged_never_chmoded() {
    let d = Scratch::new("folders");
    for (m, who) in [
        (0o777, Some("group and others")),
        (0o1777, Some("group and others")),
        (0o770, Some("group")),
        (0o703, Some("others")),
        (0o755, None),
        (0o700, None),
    ] {
        let dir = d.0.join(format!("m{m:o}"));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        chmod(&dir, m);
        let r = private_dir(&dir);
        match who {
            None => assert_eq!(r, Ok(()), "{m:o}"),
            Some(who) => assert!(
                matches!(&r, Err(FolderError::Writable { who: w, mode, .. }) if *w == who && *mode == m),
                "{m:o}: {r:?}"
            ),
        }
        assert_eq!(mode(&dir), m, "never chmod'ed");
    }
    let fix = |m| match private_dir(&d.0.join(format!("m{m:o}"))) {
        Err(e) => e.chmod_fix(),
        Ok(()) => None,
    };
    assert!(fix(0o770).is_some_and(|f| f.starts_with("chmod go-w ")));
    assert_eq!(fix(0o1777), None, "a shared folder is not to be closed");
    let file = d.file("plain", "", 0o600);
    assert!(matches!(
        private_dir(&file),
        Err(FolderError::NotAFolder { .. })
    ));
}

#[test]
fn missing_folders_are_created_0700_with_their_parents() {
    let d = Scratch::new("create");
    let deep = d.0.join("a/b/state");
    assert_eq!(private_dir(&deep), Ok(()));
    for p in [d.0.join("a"), d.0.join("a/b"), deep] {
        assert_eq!(mode(&p), 0o700, "{}", p.display());
    }
}

#[test]
fn folders_of_other_users_are_refused_and_not_created_in() {
    if !am_root() {
        eprintln!("skipped: only root can create a folder owned by another user");
        return;
    }
    let d = Scratch::new("owners");
    let theirs = d.0.join("theirs");
    std::fs::create_dir(&theirs).unwrap_or_else(|e| panic!("{e}"));
    chmod(&theirs, 0o700);
    std::os::unix::fs::chown(&theirs, Some(4242), Some(4242)).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        private_dir(&theirs),
        Err(FolderError::Owner {
            owner: 4242,
            me: 0,
            ..
        })
    ));
    let inside = theirs.join("cfingress");
    assert!(matches!(
        private_dir(&inside),
        Err(FolderError::ForeignParent { owner: 4242, .. })
    ));
    assert!(
        !inside.exists(),
        "nothing of root's is created in their folder"
    );
}

#[test]
fn exposed_credential_files_are_warned_about() {
    let d = Scratch::new("warnings");
    let w = |p: &Path, secret| permission_warnings(p, "the token file", secret);
    let tok = d.file("token", "t", 0o600);
    assert!(w(&tok, true).is_empty());
    chmod(&tok, 0o640);
    let shown = tok.display().to_string();
    assert!(
        w(&tok, true)
            .first()
            .is_some_and(|m| m.contains(&format!("chmod 600 {shown}"))),
        "{:?}",
        w(&tok, true)
    );
    let settings = d.file("settings.toml", "", 0o644);
    assert!(w(&settings, false).is_empty(), "readable, no secret: fine");
    chmod(&settings, 0o664);
    assert!(
        w(&settings, false)
            .first()
            .is_some_and(|m| m.contains("chmod go-w"))
    );
    // In a folder anyone can write to (without the sticky bit): replaceable.
    let open = d.0.join("open");
    std::fs::create_dir(&open).unwrap_or_else(|e| panic!("{e}"));
    let tok2 = open.join("token");
    std::fs::write(&tok2, "t").unwrap_or_else(|e| panic!("{e}"));
    chmod(&tok2, 0o600);
    chmod(&open, 0o777);
    assert!(
        w(&tok2, true)
            .first()
            .is_some_and(|m| m.contains("any user can replace it"))
    );
    chmod(&open, 0o1777);
    assert!(w(&tok2, true).is_empty(), "the sticky bit protects it");
    // Missing files and pipes (`--api-token-file <(pass ...)`) are not judged.
    assert!(w(&d.0.join("missing"), true).is_empty());
    assert!(w(Path::new("/dev/null"), true).is_empty());
    if am_root() {
        std::os::unix::fs::chown(&tok, Some(4242), None).unwrap_or_else(|e| panic!("{e}"));
        chmod(&tok, 0o600);
        assert!(
            w(&tok, true)
                .first()
                .is_some_and(|m| m.contains("belongs to uid 4242"))
        );
    }
}
