package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
)

// Quota limits what uploads (AddUpload) may hold. Bytes and Files are per
// tenant and count the uploads being received as well as those stored;
// MinFreeBytes is kept free on the data folder's filesystem for all of
// them. Zero fields are no limit.
type Quota struct {
	Bytes        int64
	Files        int64
	MinFreeBytes int64
	// FreeSpace returns the bytes free to this process on the filesystem
	// of dir; default FreeSpace (statfs). Tests inject their own.
	FreeSpace func(dir string) (int64, error)
}

// FreeSpace is the space available to unprivileged users on the filesystem
// of dir.
func FreeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// freeCheckEvery: while an upload is received, the free space is looked at
// again after this many bytes.
const freeCheckEvery = 1 << 20

// Expiry knobs; variables so tests can shrink them. ExpireEvery is how often
// expired uploads and jobs are looked for.
var (
	ExpireEvery = time.Minute
	expireBatch = 1000
)

// reservation is an upload in progress: one file and the bytes received so
// far count against its tenant's quota until it is stored (then the store's
// usage counts it) or abandoned.
type reservation struct {
	b       *Backend
	tenant  string
	dir     string
	bytes   int64
	unsaved int64 // bytes since the last free-space check
}

// reserve counts one more upload of tenant, or refuses it.
func (b *Backend) reserve(tenant, dir string) (*reservation, error) {
	q := b.opts.Quota
	if err := b.checkFree(dir, 0); err != nil {
		return nil, err
	}
	b.quotaMu.Lock()
	defer b.quotaMu.Unlock()
	used, err := b.store.usage(tenant)
	if err != nil {
		return nil, err
	}
	r := b.reserved[tenant]
	if q.Files > 0 && used.Files+r.Files+1 > q.Files {
		return nil, fmt.Errorf("%w: at most %d files may be stored (delete some first)", ErrQuotaExceeded, q.Files)
	}
	if q.Bytes > 0 && used.Bytes+r.Bytes >= q.Bytes {
		return nil, fmt.Errorf("%w: at most %d bytes may be stored (delete some first)", ErrQuotaExceeded, q.Bytes)
	}
	r.Files++
	b.reserved[tenant] = r
	return &reservation{b: b, tenant: tenant, dir: dir}, nil
}

func (b *Backend) checkFree(dir string, incoming int64) error {
	q := b.opts.Quota
	if q.MinFreeBytes <= 0 {
		return nil
	}
	free, err := q.FreeSpace(dir)
	if err != nil {
		return fmt.Errorf("free space of %s: %w", dir, err)
	}
	if free-incoming < q.MinFreeBytes {
		return fmt.Errorf("%w (%d bytes free, %d kept free)", ErrDiskFull, free, q.MinFreeBytes)
	}
	return nil
}

// grow counts n more bytes received.
func (r *reservation) grow(n int64) error {
	b, q := r.b, r.b.opts.Quota
	b.quotaMu.Lock()
	used, err := b.store.usage(r.tenant)
	res := b.reserved[r.tenant]
	if err == nil && q.Bytes > 0 && used.Bytes+res.Bytes+n > q.Bytes {
		err = fmt.Errorf("%w: at most %d bytes may be stored (delete some first)", ErrQuotaExceeded, q.Bytes)
	}
	if err == nil {
		res.Bytes += n
		b.reserved[r.tenant] = res
		r.bytes += n
	}
	b.quotaMu.Unlock()
	if err != nil {
		return err
	}
	if r.unsaved += n; r.unsaved >= freeCheckEvery {
		r.unsaved = 0
		return b.checkFree(r.dir, 0)
	}
	return nil
}

func (r *reservation) release() {
	b := r.b
	b.quotaMu.Lock()
	defer b.quotaMu.Unlock()
	res := b.reserved[r.tenant]
	res.Files--
	res.Bytes -= r.bytes
	if res.Files <= 0 {
		delete(b.reserved, r.tenant)
	} else {
		b.reserved[r.tenant] = res
	}
}

// writer counts what is written to w against the reservation.
func (r *reservation) writer(w io.Writer) io.Writer { return quotaWriter{r, w} }

type quotaWriter struct {
	r *reservation
	w io.Writer
}

func (q quotaWriter) Write(p []byte) (int, error) {
	if err := q.r.grow(int64(len(p))); err != nil {
		return 0, err
	}
	return q.w.Write(p)
}

// diskFull turns "no space left" into ErrDiskFull.
func diskFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}

// expireLoop deletes expired uploads and finished jobs every expireEvery
// until ctx is done.
func (b *Backend) expireLoop(ctx context.Context) {
	t := time.NewTicker(ExpireEvery)
	defer t.Stop()
	for {
		b.expire(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// expire deletes the uploaded files whose expiry has passed and the jobs
// that ended more than JobTTL before now.
func (b *Backend) expire(now time.Time) {
	var jobsBefore time.Time
	if b.opts.JobTTL > 0 {
		jobsBefore = now.Add(-b.opts.JobTTL)
	}
	files, jobs, err := b.store.expired(now, jobsBefore, expireBatch)
	if err != nil {
		b.log.Error("expiry scan", "err", err)
		return
	}
	for _, id := range jobs {
		if _, err := b.store.deleteJob(id); err != nil && !errors.Is(err, ErrClosed) {
			b.log.Warn("expire job", "job", id, "err", err)
		}
	}
	for _, id := range files {
		rec, err := b.store.deleteFile(id)
		if err != nil {
			b.log.Warn("expire file", "file", id, "err", err)
			continue
		}
		b.removeBytes(rec)
	}
	if len(files)+len(jobs) > 0 {
		b.log.Info("expired", "files", len(files), "jobs", len(jobs))
	}
}
