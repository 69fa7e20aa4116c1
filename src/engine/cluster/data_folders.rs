//! What an executor may read: the local file system, but only under the folders it was given
//! (`cluster executor --data DIR`). Every table an executor scans, and every file a plan would
//! write, goes through DataFusion's object store for `file://`; this one checks each path (after
//! following symbolic links) before handing it to the usual local store, so a plan naming
//! `/etc/passwd`, or a link out of a data folder, fails with the path named.

use std::fmt;
use std::path::{Component, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::path::Path;
use datafusion::object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use futures::stream::{self, BoxStream, StreamExt};

/// A `--data` folder that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--data {}: {source}; give a folder that exists on this machine", path.display())]
pub struct DataFolderError {
    /// The folder as given.
    pub path: PathBuf,
    /// What the system said.
    pub source: std::io::Error,
}

/// A path outside the data folders, as the reason in the error the plan fails with.
#[derive(Debug, thiserror::Error)]
#[error(
    "{}{} is outside this executor's data folders ({}); start the executor with --data naming a folder that holds it",
    path.display(),
    if real == path { String::new() } else { format!(" (which leads to {})", real.display()) },
    folders
)]
struct Outside {
    path: PathBuf,
    real: PathBuf,
    folders: String,
}

/// The folders, resolved once (symbolic links followed), shared by the store and its streams.
#[derive(Clone, Debug)]
struct Folders(Arc<[PathBuf]>);

impl Folders {
    /// Ok when `location` lies in a folder, else the error naming it.
    fn check(&self, location: &Path) -> Result<()> {
        let path = std::path::Path::new("/").join(location.as_ref());
        let real = resolved(&path);
        if self.0.iter().any(|folder| real.starts_with(folder)) {
            return Ok(());
        }
        let folders = self
            .0
            .iter()
            .map(|folder| folder.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Err(datafusion::object_store::Error::PermissionDenied {
            path: path.display().to_string(),
            source: Box::new(Outside {
                path,
                real,
                folders,
            }),
        })
    }
}

/// `path` with symbolic links followed as far as it exists (a file about to be written does not
/// yet), and `.`/`..` removed from the rest.
fn resolved(path: &std::path::Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    let mut resolved = loop {
        if let Ok(real) = existing.canonicalize() {
            break real;
        }
        match existing.components().next_back() {
            Some(last) => {
                rest.push(last.as_os_str().to_owned());
                existing.pop();
            }
            None => break PathBuf::new(),
        }
    };
    for part in rest.iter().rev() {
        match std::path::Path::new(part).components().next() {
            Some(Component::ParentDir) => {
                resolved.pop();
            }
            Some(Component::Normal(name)) => resolved.push(name),
            _ => {}
        }
    }
    resolved
}

/// The local file system, limited to the data folders.
#[derive(Debug)]
pub struct DataFolders {
    folders: Folders,
    local: LocalFileSystem,
}

impl DataFolders {
    /// A store reading only under `folders`, each of which must exist.
    pub fn new(folders: &[PathBuf]) -> std::result::Result<Self, DataFolderError> {
        let resolved = folders
            .iter()
            .map(|folder| {
                folder.canonicalize().map_err(|source| DataFolderError {
                    path: folder.clone(),
                    source,
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Self {
            folders: Folders(resolved.into()),
            local: LocalFileSystem::new(),
        })
    }

    /// The folders, resolved, for the executor to say at its start.
    pub fn folders(&self) -> &[PathBuf] {
        &self.folders.0
    }
}

impl fmt::Display for DataFolders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataFolders({:?})", self.folders.0)
    }
}

#[async_trait]
impl ObjectStore for DataFolders {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.folders.check(location)?;
        self.local.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.folders.check(location)?;
        self.local.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.folders.check(location)?;
        self.local.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let folders = self.folders.clone();
        let checked = locations
            .map(move |location| {
                let location = location?;
                folders.check(&location)?;
                Ok(location)
            })
            .boxed();
        self.local.delete_stream(checked)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        match self.folders.check(prefix.unwrap_or(&Path::default())) {
            Ok(()) => self.local.list(prefix),
            Err(error) => stream::once(async { Err(error) }).boxed(),
        }
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.folders.check(prefix.unwrap_or(&Path::default()))?;
        self.local.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.folders.check(from)?;
        self.folders.check(to)?;
        self.local.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use datafusion::object_store::ObjectStoreExt;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netsentry-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data/day1")).unwrap();
        std::fs::create_dir_all(dir.join("private")).unwrap();
        std::fs::write(dir.join("data/day1/flows.csv"), "a,b\n1,2\n").unwrap();
        std::fs::write(dir.join("private/secret.csv"), "x\n").unwrap();
        dir
    }

    fn location(path: &std::path::Path) -> Path {
        Path::from_absolute_path(path).unwrap()
    }

    #[tokio::test]
    async fn files_under_the_data_folders_are_read_and_nothing_else() {
        let dir = scratch("data-read");
        let store = DataFolders::new(&[dir.join("data")]).unwrap();
        let inside = store.get(&location(&dir.join("data/day1/flows.csv"))).await;
        assert_eq!(
            inside.unwrap().bytes().await.unwrap().as_ref(),
            b"a,b\n1,2\n"
        );

        let secret = dir.join("private/secret.csv");
        let error = store.get(&location(&secret)).await.unwrap_err().to_string();
        assert!(error.contains(&secret.display().to_string()), "{error}");
        assert!(
            error.contains("outside this executor's data folders"),
            "{error}"
        );

        // A symbolic link inside a data folder that leads out of it.
        #[cfg(unix)]
        {
            let link = dir.join("data/link.csv");
            std::os::unix::fs::symlink(&secret, &link).unwrap();
            assert!(store.get(&location(&link)).await.is_err());
            let error = store.head(&location(&link)).await.unwrap_err();
            assert!(error.to_string().contains("secret.csv"), "{error}");
        }
        // Writing outside, and listing the root, are refused too; writing inside works.
        let outside = location(&dir.join("private/new.csv"));
        assert!(store.put(&outside, "x".into()).await.is_err());
        assert!(!dir.join("private/new.csv").exists());
        assert!(store.list(None).next().await.unwrap().is_err());
        let listed: Vec<_> = store
            .list(Some(&location(&dir.join("data/day1"))))
            .collect()
            .await;
        assert_eq!(listed.len(), 1);
        store
            .put(&location(&dir.join("data/out.csv")), "y".into())
            .await
            .unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_named() {
        let error = DataFolders::new(&[PathBuf::from("/no/such/folder")]).unwrap_err();
        assert!(
            error.to_string().starts_with("--data /no/such/folder: "),
            "{error}"
        );
    }

    #[test]
    fn paths_not_yet_written_resolve_through_their_existing_parent() {
        let dir = scratch("data-resolve");
        let real = dir.canonicalize().unwrap();
        assert_eq!(
            resolved(&dir.join("data/new/x.csv")),
            real.join("data/new/x.csv")
        );
        assert_eq!(
            resolved(&dir.join("data/new/../../private/x")),
            real.join("private/x")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
