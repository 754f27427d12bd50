package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/classifyd/classifyd/internal/api"
)

// ErrFileChanged is a file whose size changed between the start of an
// upload and an attempt to send it.
var ErrFileChanged = errors.New("file changed during upload")

// Upload sends the file at path (POST /api/v1/beta/files, multipart field
// "file" with its name, purpose=classify, optional external_file_id).
//
// The file is streamed, never held in memory: the body is the multipart
// head, the file, and the closing boundary read one after the other. That
// gives the request an exact Content-Length (which an io.Pipe could not) and
// needs no goroutine; each attempt reopens the file, so retries resend it
// whole, and a file whose size changed fails at once with ErrFileChanged.
func (c *Client) Upload(ctx context.Context, path string, opts api.UploadOptions) (api.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return api.File{}, fmt.Errorf("upload %s: not a regular file", path)
	}
	name := opts.Name
	if name == "" {
		name = filepath.Base(path)
	}
	size := fi.Size()

	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if err := mw.WriteField("purpose", "classify"); err != nil {
		return api.File{}, err
	}
	if opts.ExternalFileID != "" {
		if err := mw.WriteField("external_file_id", opts.ExternalFileID); err != nil {
			return api.File{}, err
		}
	}
	if _, err := mw.CreateFormFile("file", name); err != nil {
		return api.File{}, err
	}
	prefix := head.Bytes()
	suffix := []byte("\r\n--" + mw.Boundary() + "--\r\n")

	body := retryablehttp.ReaderFunc(func() (io.Reader, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", path, err)
		}
		fi, err := f.Stat()
		if err == nil && fi.Size() != size {
			err = fmt.Errorf("upload %s: %w (size %d, now %d)", path, ErrFileChanged, size, fi.Size())
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		return &uploadBody{
			Reader: io.MultiReader(bytes.NewReader(prefix), &exactReader{r: f, n: size, path: path}, bytes.NewReader(suffix)),
			f:      f,
			n:      len(prefix) + int(size) + len(suffix),
		}, nil
	})

	q := url.Values{}
	if opts.ProjectID != "" {
		q.Set("project_id", opts.ProjectID)
	}
	if opts.OrganizationID != "" {
		q.Set("organization_id", opts.OrganizationID)
	}
	var f api.File
	if err := c.do(ctx, "POST", "/api/v1/beta/files", q, mw.FormDataContentType(), body, &f); err != nil {
		return api.File{}, fmt.Errorf("upload %s: %w", path, err)
	}
	return f, nil
}

// uploadBody is one attempt's body; Len gives retryablehttp the
// Content-Length, Close closes the file.
type uploadBody struct {
	io.Reader
	f *os.File
	n int
}

func (b *uploadBody) Len() int     { return b.n }
func (b *uploadBody) Close() error { return b.f.Close() }

// exactReader reads exactly n bytes of r, failing if the file is shorter or
// longer than that (it changed after the upload began).
type exactReader struct {
	r    io.Reader
	n    int64
	path string
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		var one [1]byte
		if k, _ := e.r.Read(one[:]); k > 0 {
			return 0, fmt.Errorf("upload %s: %w (it grew)", e.path, ErrFileChanged)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	k, err := e.r.Read(p)
	e.n -= int64(k)
	if err == io.EOF && e.n > 0 {
		return k, fmt.Errorf("upload %s: %w (it shrank)", e.path, ErrFileChanged)
	}
	if err == io.EOF {
		err = nil
	}
	return k, err
}

// GetFile returns a file's metadata.
func (c *Client) GetFile(ctx context.Context, id string) (api.File, error) {
	var f api.File
	if err := c.doJSON(ctx, "GET", "/api/v1/beta/files/"+url.PathEscape(id), nil, nil, &f); err != nil {
		return api.File{}, fmt.Errorf("get file %s: %w", id, err)
	}
	return f, nil
}

// DeleteFile deletes a file.
func (c *Client) DeleteFile(ctx context.Context, id string) error {
	if err := c.doJSON(ctx, "DELETE", "/api/v1/beta/files/"+url.PathEscape(id), nil, nil, nil); err != nil {
		return fmt.Errorf("delete file %s: %w", id, err)
	}
	return nil
}

// FileQuery filters ListFiles; zero fields match everything.
type FileQuery struct {
	FileIDs        []string
	FileName       string
	ExternalFileID string
}

// ListFilesPage returns one page of files.
func (c *Client) ListFilesPage(ctx context.Context, fq FileQuery, pr api.PageRequest) (api.Page[api.File], error) {
	q := pageQuery(pr)
	for _, id := range fq.FileIDs {
		q.Add("file_ids", id)
	}
	if fq.FileName != "" {
		q.Set("file_name", fq.FileName)
	}
	if fq.ExternalFileID != "" {
		q.Set("external_file_id", fq.ExternalFileID)
	}
	var page api.Page[api.File]
	if err := c.doJSON(ctx, "GET", "/api/v1/beta/files", q, nil, &page); err != nil {
		return page, fmt.Errorf("list files: %w", err)
	}
	return page, nil
}

// ListFiles calls fn for every file matching fq, page by page, stopping at
// the first error fn returns.
func (c *Client) ListFiles(ctx context.Context, fq FileQuery, fn func(api.File) error) error {
	return each(ctx, c.opts.PageSize, func(pr api.PageRequest) (api.Page[api.File], error) {
		return c.ListFilesPage(ctx, fq, pr)
	}, fn)
}
