package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/classifyd/classifyd/internal/api"
)

// Upload registers the file at path; nothing is copied, so the file must
// stay where it is, unchanged, until the jobs that name it are done (a file
// whose size or modification time changed fails with ErrFileChanged).
func (b *Backend) Upload(ctx context.Context, path string, opts api.UploadOptions) (api.File, error) {
	if err := b.checkOpen(); err != nil {
		return api.File{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return api.File{}, fmt.Errorf("upload %s: %w", path, ErrNotRegular)
	}
	name := opts.Name
	if name == "" {
		name = filepath.Base(abs)
	}
	rec := fileRec{
		File:        newFile(name, fi.Size(), fi.ModTime(), opts),
		Path:        abs,
		ModUnixNano: fi.ModTime().UnixNano(),
	}
	if err := b.store.putFile(rec); err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", path, err)
	}
	return rec.File, nil
}

func newFile(name string, size int64, mod time.Time, opts api.UploadOptions) api.File {
	now := time.Now().UTC()
	mod = mod.UTC()
	f := api.File{
		ID:             newID(),
		Name:           name,
		ProjectID:      DefaultProjectID,
		Purpose:        api.Ptr("classify"),
		LastModifiedAt: &mod,
		FileSize:       &size,
		CreatedAt:      &now,
	}
	if opts.ProjectID != "" {
		f.ProjectID = opts.ProjectID
	}
	if opts.ExternalFileID != "" {
		f.ExternalFileID = api.Ptr(opts.ExternalFileID)
	}
	if ext := fileExt(name); ext != "" {
		f.FileType = api.Ptr(ext)
	}
	return f
}

// fileExt is the lower-case extension of name without the dot, if it is a
// short run of letters and digits (so that it is safe in a file name).
func fileExt(name string) string {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	if ext == "" || len(ext) > 10 {
		return ""
	}
	for _, r := range ext {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return ""
		}
	}
	return ext
}

// CleanName makes a client-given file name safe to show and store as
// metadata: the part after the last slash or backslash, without control
// characters and bidirectional formatting characters (U+202E makes
// "invoice\u202Efdp.exe" show as "invoiceexe.pdf"), at most 255 bytes;
// "file" when nothing is left. It is never used as a path.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

// filesDirectory returns the directory for uploaded bytes, creating a
// temporary one in memory mode.
func (b *Backend) filesDirectory() (string, error) {
	b.filesMu.Lock()
	defer b.filesMu.Unlock()
	if b.filesDir != "" {
		return b.filesDir, nil
	}
	dir, err := os.MkdirTemp("", "classifyd-uploads-")
	if err != nil {
		return "", err
	}
	b.filesDir, b.tempDir = dir, true
	return dir, nil
}

// AddUpload stores the bytes of r (at most MaxUploadBytes, else ErrTooLarge)
// as a new file called name. The bytes go to <files dir>/<id>.<ext>: the
// name is metadata only and never part of a path.
func (b *Backend) AddUpload(ctx context.Context, name string, r io.Reader, opts api.UploadOptions) (api.File, error) {
	return b.def().AddUpload(ctx, name, r, opts)
}

// addUpload is AddUpload for a tenant, within its quota and the free space
// of the data folder.
func (b *Backend) addUpload(ctx context.Context, sc *Scoped, name string, r io.Reader, opts api.UploadOptions) (api.File, error) {
	if err := b.checkOpen(); err != nil {
		return api.File{}, err
	}
	name = CleanName(name)
	project, err := sc.Project(opts.ProjectID)
	if err != nil {
		return api.File{}, err
	}
	opts.ProjectID = project
	dir, err := b.filesDirectory()
	if err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", name, err)
	}
	res, err := b.reserve(sc.t.ID, dir)
	if err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", name, err)
	}
	defer res.release()
	f := newFile(name, 0, time.Now(), opts)
	base := f.ID
	if ext := fileExt(name); ext != "" {
		base += "." + ext
	}
	final := filepath.Join(dir, base)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	n, err := io.Copy(res.writer(tmp), io.LimitReader(ctxReader{ctx, r}, b.opts.MaxUploadBytes+1))
	if err == nil && n > b.opts.MaxUploadBytes {
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.opts.MaxUploadBytes)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", name, diskFull(err))
	}
	now := time.Now().UTC()
	f.FileSize = &n
	f.LastModifiedAt = &now
	if b.opts.FileTTL > 0 {
		f.ExpiresAt = api.Ptr(now.Add(b.opts.FileTTL))
	}
	rec := fileRec{File: f, Path: final, Stored: true, Tenant: sc.t.ID}
	if err := b.store.putFile(rec); err != nil {
		os.Remove(final)
		return api.File{}, fmt.Errorf("upload %s: %w", name, err)
	}
	return f, nil
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// FileUpdate changes metadata of a file; nil fields are left alone.
type FileUpdate struct {
	Purpose        *string
	ExternalFileID *string
}

// UpdateFile changes a file's metadata (the server uses it for form fields
// that follow the file part of an upload).
func (b *Backend) UpdateFile(ctx context.Context, id string, u FileUpdate) (api.File, error) {
	return b.def().UpdateFile(ctx, id, u)
}

func (b *Backend) updateFile(sc *Scoped, id string, u FileUpdate) (api.File, error) {
	if err := b.checkOpen(); err != nil {
		return api.File{}, err
	}
	rec, err := sc.lookup.updateFile(id, func(r *fileRec) {
		if u.Purpose != nil {
			r.File.Purpose = u.Purpose
		}
		if u.ExternalFileID != nil {
			r.File.ExternalFileID = u.ExternalFileID
		}
	})
	return rec.File, err
}

// GetFile returns a file; api.ErrNotFound when it is unknown.
func (b *Backend) GetFile(ctx context.Context, id string) (api.File, error) {
	return b.def().GetFile(ctx, id)
}

// OpenFile opens the bytes of a file for reading (uploaded bytes, or the
// registered path).
func (b *Backend) OpenFile(ctx context.Context, id string) (*os.File, api.File, error) {
	return b.def().OpenFile(ctx, id)
}

func (b *Backend) openFile(sc *Scoped, id string) (*os.File, api.File, error) {
	if err := b.checkOpen(); err != nil {
		return nil, api.File{}, err
	}
	rec, err := sc.lookup.file(id)
	if err != nil {
		return nil, api.File{}, err
	}
	fh, err := os.Open(rec.Path)
	if err != nil {
		return nil, api.File{}, fmt.Errorf("open file %s: %w", id, err)
	}
	return fh, rec.File, nil
}

// DeleteFile forgets a file and removes its bytes if they were uploaded
// (a registered path is never touched). Jobs still waiting for it fail that
// file.
func (b *Backend) DeleteFile(ctx context.Context, id string) error {
	return b.def().DeleteFile(ctx, id)
}

func (b *Backend) deleteFile(sc *Scoped, id string) error {
	if err := b.checkOpen(); err != nil {
		return err
	}
	rec, err := sc.lookup.deleteFile(id)
	if err != nil {
		return err
	}
	b.removeBytes(rec)
	return nil
}

// removeBytes removes the bytes of a deleted file if they were uploaded.
func (b *Backend) removeBytes(rec fileRec) {
	if rec.Stored {
		if err := os.Remove(rec.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			b.log.Warn("remove uploaded file", "file", rec.File.ID, "err", err)
		}
	}
}

// ListFilesPage returns one page of the files matching q, newest first.
func (b *Backend) ListFilesPage(ctx context.Context, q FileQuery, pr api.PageRequest) (api.Page[api.File], error) {
	return b.def().ListFilesPage(ctx, q, pr)
}

func (b *Backend) listFilesPage(sc *Scoped, q FileQuery, pr api.PageRequest) (api.Page[api.File], error) {
	var page api.Page[api.File]
	if err := b.checkOpen(); err != nil {
		return page, err
	}
	after, err := parseIDToken('f', pr.PageToken)
	if err != nil {
		return page, err
	}
	recs, more, total, err := sc.lookup.listFiles(q, after, pageSize(pr.PageSize, DefaultPageSize, MaxListPageSize), b.opts.MaxPageBytes)
	if err != nil {
		return page, fmt.Errorf("list files: %w", err)
	}
	page.Items = make([]api.File, 0, len(recs))
	for _, r := range recs {
		page.Items = append(page.Items, r.File)
	}
	if more {
		page.NextPageToken = makeToken('f', recs[len(recs)-1].File.ID)
	}
	page.TotalSize = &total
	return page, nil
}

// sweepFiles removes uploaded bytes without a record: temporary files and
// files whose record was never committed (a crash in AddUpload).
func (b *Backend) sweepFiles() {
	entries, err := os.ReadDir(b.filesDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		id, _, _ := strings.Cut(name, ".")
		if strings.HasPrefix(name, ".tmp-") {
			id = ""
		} else if ok, err := b.store.hasFile(id); err != nil || ok {
			continue
		}
		b.log.Info("removing orphaned upload", "name", name)
		os.Remove(filepath.Join(b.filesDir, name))
	}
}
