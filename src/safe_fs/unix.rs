//! The Unix implementation: `*at` system calls relative to an open folder, through `rustix`.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Permissions};
use std::io::{self, BufWriter, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::Path;

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{FolderError, WriteOptions, Written, backup_name, context, shown, split, temp_name};

/// How many random names to try before giving up on a folder.
const TRIES: usize = 16;

/// What is at a name, without following a symbolic link.
struct Existing {
    kind: FileType,
    /// Permission bits, with the sticky and set-id bits.
    mode: u32,
    uid: u32,
    gid: u32,
}

#[allow(clippy::useless_conversion)] // `st_mode` is narrower than u32 on some systems
fn raw_mode(st_mode: rustix::fs::RawMode) -> u32 {
    u32::from(st_mode)
}

fn lstat_at(dir: &OwnedFd, name: &OsStr) -> io::Result<Option<Existing>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(Existing {
            kind: FileType::from_raw_mode(st.st_mode),
            mode: raw_mode(st.st_mode) & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
        })),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn open_dir(dir: &Path) -> io::Result<OwnedFd> {
    rustix::fs::openat(
        CWD,
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| context(format_args!("cannot open the folder {}", shown(dir)), e))
}

/// Creates a new file with mode 0600 under a fresh random name beside `name`.
fn create_exclusive(dir: &OwnedFd, shown_dir: &str, name: &OsStr) -> io::Result<(File, OsString)> {
    for _ in 0..TRIES {
        let tmp = temp_name(name);
        match rustix::fs::openat(
            dir,
            &tmp,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::RUSR | Mode::WUSR,
        ) {
            Ok(fd) => return Ok((File::from(fd), tmp)),
            Err(Errno::EXIST) => continue,
            Err(e) => {
                return Err(context(
                    format_args!("cannot create a temporary file in {shown_dir}"),
                    e,
                ));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "cannot create a temporary file in {shown_dir}: {TRIES} random names were all taken"
        ),
    ))
}

/// Names to remove from the folder if the write stops half-way.
struct Leftovers<'a> {
    dir: &'a OwnedFd,
    names: Vec<OsString>,
}

impl Leftovers<'_> {
    fn keep(&mut self, name: &OsStr) {
        self.names.retain(|n| n != name);
    }
}

impl Drop for Leftovers<'_> {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = rustix::fs::unlinkat(self.dir, n, AtFlags::empty());
        }
    }
}

pub(super) fn write_atomic(
    dir_path: &Path,
    name: &OsStr,
    options: &WriteOptions,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Written> {
    let path = dir_path.join(name);
    let shown_path = shown(&path);
    let shown_dir = shown(dir_path);
    let dir = open_dir(dir_path)?;
    let existing = lstat_at(&dir, name).map_err(|e| context(&shown_path, e))?;
    match existing.as_ref().map(|e| e.kind) {
        None | Some(FileType::RegularFile) => {}
        Some(FileType::Symlink) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{shown_path} is now a symbolic link, not the regular file cfingress read: nothing was written (cfingress never writes through a link it did not choose)"
                ),
            ));
        }
        Some(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{shown_path} is not a regular file"),
            ));
        }
    }
    let (file, tmp) = create_exclusive(&dir, &shown_dir, name)?;
    let mut leftovers = Leftovers {
        dir: &dir,
        names: vec![tmp.clone()],
    };
    let written = |e| {
        context(
            format_args!("cannot write a temporary file in {shown_dir}"),
            e,
        )
    };
    let mut out = BufWriter::new(file);
    write(&mut out).map_err(written)?;
    let file = out.into_inner().map_err(|e| written(e.into_error()))?;

    let mode = match &existing {
        Some(old) if options.keep_existing => {
            keep_owner(&file, old, &shown_path)?;
            old.mode
        }
        _ => options.mode & 0o7777,
    };
    // After the owner: changing the owner clears the set-id bits.
    file.set_permissions(Permissions::from_mode(mode))
        .map_err(|e| {
            context(
                format_args!("cannot set the mode of a temporary file in {shown_dir}"),
                e,
            )
        })?;
    file.sync_all().map_err(written)?;
    drop(file);

    let backup = match &existing {
        Some(old) if options.backup => {
            let bak = backup_name(name);
            keep_backup(&dir, &shown_dir, name, &bak, old, &mut leftovers).map_err(|e| {
                context(
                    format_args!(
                        "cannot keep the previous {shown_path} as {}",
                        shown(&dir_path.join(&bak))
                    ),
                    e,
                )
            })?;
            Some(dir_path.join(bak))
        }
        _ => None,
    };
    rustix::fs::renameat(&dir, &tmp, &dir, name)
        .map_err(|e| context(format_args!("cannot replace {shown_path}"), e))?;
    leftovers.keep(&tmp);
    // The rename is durable once the folder is synced; a failure here loses nothing written.
    let _ = rustix::fs::fsync(&dir);
    Ok(Written { backup })
}

/// Gives `file` the owner and group of `old`, or says why it cannot.
fn keep_owner(file: &File, old: &Existing, shown_path: &str) -> io::Result<()> {
    let meta = file.metadata()?;
    if (meta.uid(), meta.gid()) == (old.uid, old.gid) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(old.uid), Some(old.gid)).map_err(|e| {
        context(
            format_args!(
                "{shown_path} belongs to uid {} and gid {}, and its replacement cannot be given to them (cfingress runs as uid {}); run cfingress as the file's owner or as root, so the file does not change hands",
                old.uid,
                old.gid,
                rustix::process::geteuid().as_raw()
            ),
            e,
        )
    })
}

/// Makes `bak` the file now at `name`: a hard link to it when the file system allows it (the
/// very file, with its mode and owner, nothing copied), else a copy written like any other
/// file. Either way through a random name then a rename, so whatever was at `bak` (a planted
/// link included) is replaced, never written through.
fn keep_backup(
    dir: &OwnedFd,
    shown_dir: &str,
    name: &OsStr,
    bak: &OsStr,
    old: &Existing,
    leftovers: &mut Leftovers<'_>,
) -> io::Result<()> {
    let mut linked = None;
    for _ in 0..TRIES {
        let tmp = temp_name(bak);
        // Without AT_SYMLINK_FOLLOW: a link swapped in at `name` is linked, not followed.
        match rustix::fs::linkat(dir, name, dir, &tmp, AtFlags::empty()) {
            Ok(()) => {
                linked = Some(tmp);
                break;
            }
            Err(Errno::EXIST) => continue,
            // Hard links refused (fs.protected_hardlinks, a file system without them): copy.
            Err(_) => break,
        }
    }
    let tmp = match linked {
        Some(tmp) => {
            leftovers.names.push(tmp.clone());
            tmp
        }
        None => {
            let (copy, tmp) = copy_of(dir, shown_dir, name, bak, old)?;
            leftovers.names.push(tmp.clone());
            copy.sync_all()?;
            tmp
        }
    };
    rustix::fs::renameat(dir, &tmp, dir, bak)?;
    leftovers.keep(&tmp);
    Ok(())
}

/// A copy of the regular file at `name` under a new random name, with its mode (and its owner
/// when that can be kept).
fn copy_of(
    dir: &OwnedFd,
    shown_dir: &str,
    name: &OsStr,
    bak: &OsStr,
    old: &Existing,
) -> io::Result<(File, OsString)> {
    let src = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut src = File::from(src);
    if !src.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is no longer a regular file",
        ));
    }
    let (mut copy, tmp) = create_exclusive(dir, shown_dir, bak)?;
    let copied = (|| {
        io::copy(&mut src, &mut copy)?;
        // Best effort: a copy owned by the user running cfingress keeps the original's mode,
        // so it is no more exposed than the original.
        let _ = std::os::unix::fs::fchown(&copy, Some(old.uid), Some(old.gid));
        copy.set_permissions(Permissions::from_mode(old.mode))
    })();
    if let Err(e) = copied {
        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
        return Err(e);
    }
    Ok((copy, tmp))
}

pub(super) fn open_append(path: &Path) -> io::Result<File> {
    let (dir_path, name) = split(path)?;
    let dir = open_dir(dir_path)?;
    let fd = rustix::fs::openat(
        &dir,
        name,
        OFlags::WRONLY
            | OFlags::APPEND
            | OFlags::CREATE
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::CLOEXEC,
        Mode::RUSR | Mode::WUSR,
    )
    .map_err(|e| match e {
        Errno::LOOP => io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link; cfingress does not write through one",
                shown(path)
            ),
        ),
        e => context(shown(path), e),
    })?;
    let file = File::from(fd);
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", shown(path)),
        ));
    }
    Ok(file)
}

fn me() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Refuses a folder that is not this user's alone to write in.
fn check_folder(path: &Path, meta: &std::fs::Metadata) -> Result<(), FolderError> {
    if !meta.is_dir() {
        return Err(FolderError::NotAFolder { path: shown(path) });
    }
    let me = me();
    if meta.uid() != me {
        return Err(FolderError::Owner {
            path: shown(path),
            owner: meta.uid(),
            me,
        });
    }
    let mode = meta.mode() & 0o7777;
    let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (false, false) => return Ok(()),
        (true, false) => "group",
        (false, true) => "others",
        (true, true) => "group and others",
    };
    Err(FolderError::Writable {
        path: shown(path),
        who,
        mode,
    })
}

pub(super) fn private_dir(path: &Path) -> Result<(), FolderError> {
    let io_error = |p: &Path, e: io::Error| FolderError::Io {
        path: shown(p),
        message: e.to_string(),
    };
    match std::fs::metadata(path) {
        Ok(meta) => return check_folder(path, &meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(path, e)),
    }
    // Missing: find the nearest existing ancestor, which must be this user's or root's
    // (never create folders of root's inside another user's home, say).
    let mut missing = vec![path];
    let mut anchor = path;
    let anchor_meta = loop {
        anchor = match anchor.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        match std::fs::metadata(anchor) {
            Ok(meta) => break meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound && anchor != Path::new(".") => {
                missing.push(anchor);
            }
            Err(e) => return Err(io_error(anchor, e)),
        }
    };
    if anchor_meta.uid() != me() && anchor_meta.uid() != 0 {
        return Err(FolderError::ForeignParent {
            path: shown(path),
            parent: shown(anchor),
            owner: anchor_meta.uid(),
        });
    }
    for dir in missing.iter().rev() {
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            // Created meanwhile by someone else: the check below judges it.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_error(dir, e)),
        }
    }
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    check_folder(path, &meta)
}

pub(super) fn permission_warnings(path: &Path, what: &str, holds_secret: bool) -> Vec<String> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Vec::new();
    };
    if !meta.is_file() {
        return Vec::new();
    }
    let shown_path = shown(path);
    let me = me();
    let mut warnings = Vec::new();
    if meta.uid() != me && meta.uid() != 0 {
        warnings.push(format!(
            "{what} {shown_path} belongs to uid {}, who can change it: use a file of your own",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o777;
    if holds_secret && mode & 0o077 != 0 {
        warnings.push(format!(
            "{what} {shown_path} holds a secret and can be read or changed by other users (mode {mode:04o}): run `chmod 600 {shown_path}`"
        ));
    } else if mode & 0o022 != 0 {
        warnings.push(format!(
            "{what} {shown_path} can be changed by other users (mode {mode:04o}), who could make cfingress send your token elsewhere or run their command: run `chmod go-w {shown_path}`"
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir_meta) = std::fs::metadata(dir) {
        let dir_mode = dir_meta.mode() & 0o7777;
        let shown_dir = shown(dir);
        if dir_mode & 0o002 != 0 && dir_mode & 0o1000 == 0 {
            warnings.push(format!(
                "{what} {shown_path} is in {shown_dir}, where any user can replace it (mode {dir_mode:04o}): keep it in a folder of your own"
            ));
        } else if dir_meta.uid() != me && dir_meta.uid() != 0 {
            warnings.push(format!(
                "{what} {shown_path} is in {shown_dir}, which belongs to uid {}, who can replace it: keep it in a folder of your own",
                dir_meta.uid()
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests;
